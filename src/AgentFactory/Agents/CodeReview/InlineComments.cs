namespace AgentFactory.Agents.CodeReview;

/// <summary>A review comment already on the pull request, as GET /pulls/{n}/comments gives it.</summary>
/// <param name="Line">The line in the new version it is on (null once outdated; then its original line counts).</param>
public sealed record ExistingComment(string Path, int? Line, string Body);

/// <summary>One comment of the batched review: the finding, where it goes and its text.</summary>
public sealed record PlannedComment(ReviewFinding Finding, int Position, string Body);

/// <summary>The review split up: inline comments, findings for the summary, and how many were already posted.</summary>
public sealed record CommentPlan(IReadOnlyList<PlannedComment> Inline, IReadOnlyList<ReviewFinding> Elsewhere, int Repeated);

/// <summary>
/// Places findings: on a line of the pull request's diff (its patch for that file, positions from
/// <see cref="PatchPositions"/>) it is an inline comment; on a line outside the diff, on a file, or
/// on the change as a whole it goes in the summary, never dropped. A finding already on the pull
/// request (same file, line and message) is not posted again, inline or in the summary. Pure.
/// </summary>
public static class InlineComments
{
    /// <summary>At most this many inline comments in one review; the rest go in the summary.</summary>
    public const int MaxInline = 50;

    public static CommentPlan Plan(IReadOnlyList<ReviewFinding> findings, IReadOnlyList<FileChange> pullRequestFiles, IReadOnlyList<ExistingComment> existing)
    {
        var positions = pullRequestFiles.ToDictionary(f => f.Path, f => PatchPositions.Map(f.Patch), StringComparer.Ordinal);
        var inline = new List<PlannedComment>();
        var elsewhere = new List<ReviewFinding>();
        var repeated = 0;
        var seen = new HashSet<(string, int?, string)>();
        foreach (var finding in findings.OrderByDescending(f => f.Severity))
        {
            if (!seen.Add((finding.Path, finding.Line, Normal(finding.Message)))) continue;
            if (AlreadyPosted(finding, existing))
            {
                repeated++;
                continue;
            }
            if (finding.Line is { } line && positions.TryGetValue(finding.Path, out var map) && map.TryGetValue(line, out var position) && inline.Count < MaxInline)
                inline.Add(new PlannedComment(finding, position, ReviewBody.Inline(finding)));
            else
                elsewhere.Add(finding);
        }
        return new CommentPlan(inline, elsewhere, repeated);
    }

    private static bool AlreadyPosted(ReviewFinding f, IReadOnlyList<ExistingComment> existing)
    {
        if (f.Line is null) return false;
        var message = Normal(f.Message);
        return existing.Any(c => c.Path == f.Path && c.Line == f.Line && Normal(c.Body).Contains(message, StringComparison.Ordinal));
    }

    private static string Normal(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
