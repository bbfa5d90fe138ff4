using System.Globalization;
using System.Text;

namespace AgentFactory.Agents.CodeReview;

/// <summary>The Markdown of what is posted: a commit comment, a pull-request review's summary, one inline comment.</summary>
public static class ReviewBody
{
    public const int GitHubBodyLimit = 65_000;

    /// <summary>A push's review: everything in one commit comment (commits have no batched inline review).</summary>
    public static string CommitComment(ReviewDraft draft, ReviewLimits limits)
    {
        var md = new StringBuilder($"## Code review: {draft.Title}\n\n");
        if (draft.Summary.Length > 0) md.Append(draft.Summary).Append("\n\n");
        if (draft.ModelFindings.Count > 0) md.Append(List(draft.ModelFindings)).Append('\n');
        if (draft.Author != "deterministic checks" || draft.Summary.Length > 0) md.Append("#### Automated checks\n\n");
        md.Append(DiffReview.ToMarkdown(draft.Files, draft.Checks, limits));
        md.Append(NotReviewed(draft));
        md.Append(CultureInfo.InvariantCulture, $"\n<sub>{draft.Note}</sub>\n");
        return Cap(md.ToString(), "");
    }

    /// <summary>
    /// A pull request review's body: the summary, the findings that could not go inline (<paramref name="elsewhere"/>),
    /// the files the model was not shown, the file table, and the hidden marker of the reviewed head.
    /// </summary>
    public static string PullRequest(ReviewDraft draft, IReadOnlyList<ReviewFinding> elsewhere, int inline, int repeated, string? range, string? head, ReviewLimits limits, string? caveat)
    {
        var md = new StringBuilder($"## Code review: {draft.Title}\n\n");
        if (range is not null) md.Append(CultureInfo.InvariantCulture, $"Reviewed the new commits only ({range}); earlier commits were reviewed before.\n\n");
        if (draft.Summary.Length > 0) md.Append(draft.Summary).Append("\n\n");
        var counts = new List<string>();
        if (inline > 0) counts.Add($"{inline} inline comment{(inline == 1 ? "" : "s")} on the changed lines");
        if (repeated > 0) counts.Add($"{repeated} finding{(repeated == 1 ? "" : "s")} already on the pull request not repeated");
        if (counts.Count > 0) md.Append(string.Join("; ", counts)).Append(".\n\n");
        if (elsewhere.Count > 0) md.Append("**Findings not on a line of the diff**\n\n").Append(List(elsewhere)).Append('\n');
        else if (inline == 0 && repeated == 0) md.Append("No findings.\n\n");
        md.Append(NotReviewed(draft));
        md.Append(DiffReview.FileTable(draft.Files, limits));
        md.Append(CultureInfo.InvariantCulture, $"<sub>{draft.Note}{(caveat is null ? "" : " " + caveat)}</sub>\n");
        return Cap(md.ToString(), head is null ? "" : "\n" + ReviewMarker.For(head) + "\n");
    }

    /// <summary>One inline comment; <see cref="InlineComments"/> compares this text to what is already on the pull request.</summary>
    public static string Inline(ReviewFinding f) => $"{f.Severity.Icon()} **{f.Severity.Name()}**{(f.Source == "model" ? "" : $" ({f.Source})")}: {f.Message}";

    private static string List(IEnumerable<ReviewFinding> findings)
    {
        var md = new StringBuilder();
        foreach (var f in findings.OrderByDescending(f => f.Severity))
        {
            var where = f.Path.Length == 0 ? "" : $"{DiffReview.Code(f.Path)}{(f.Line is { } l ? $" line {l}" : "")}: ";
            md.Append(CultureInfo.InvariantCulture, $"- {f.Severity.Icon()} **{f.Severity.Name()}**{(f.Source == "model" ? "" : $" ({f.Source})")} {where}{f.Message}\n");
        }
        return md.ToString();
    }

    /// <summary>The files the model was not shown, or shown cut short; never left unsaid.</summary>
    private static string NotReviewed(ReviewDraft draft)
    {
        var md = new StringBuilder();
        if (draft.NotReviewed.Count > 0)
            md.Append(CultureInfo.InvariantCulture, $"\n**Not reviewed** by the model ({draft.NotReviewed.Count} file{(draft.NotReviewed.Count == 1 ? "" : "s")} did not fit its input budget; the automated checks still ran on them): ")
                .Append(string.Join(", ", draft.NotReviewed.Select(DiffReview.Code))).Append("\n\n");
        if (draft.PartlyReviewed.Count > 0)
            md.Append("**Partly reviewed** (cut short to fit the input budget): ").Append(string.Join(", ", draft.PartlyReviewed.Select(DiffReview.Code))).Append("\n\n");
        return md.ToString();
    }

    private static string Cap(string body, string tail) =>
        body.Length + tail.Length <= GitHubBodyLimit ? body + tail : body[..(GitHubBodyLimit - tail.Length - 60)] + "\n\n[… review cut at GitHub's comment size limit]" + tail;
}
