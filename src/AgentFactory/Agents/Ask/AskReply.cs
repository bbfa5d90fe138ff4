using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AgentFactory.GitHub;
using Octokit;

namespace AgentFactory.Agents.Ask;

/// <summary>
/// Where and how the answer to an /ask goes: a reply in the review thread when the question was a review comment, else
/// one comment on the issue or pull request (found again by its marker, so a rerun edits it). The model's words are shown,
/// never obeyed: they cannot hide a marker (HTML comments are shown as text), mention anyone (an "@" before a name gets a
/// word joiner, so no comment rule of a mention fires and nobody is pinged), or start the comment with a command (the
/// comment starts with its own heading).
/// </summary>
public static partial class AskReply
{
    public static string Marker(long commentId) => $"<!-- agentfactory:ask {commentId.ToString(CultureInfo.InvariantCulture)} -->";

    public static string Answer(string? asker, string answer, string model, string note, bool truncated)
    {
        var text = new StringBuilder().Append("**Answer to @").Append(asker ?? "?").Append("'s question** (").Append(model).Append(")\n\n").Append(Defuse(answer.Trim()));
        if (truncated) text.Append("\n\n_(The answer was cut at the model's output limit.)_");
        if (note.Length > 0) text.Append("\n\n<sub>").Append(note).Append(" The answer does not cover what was left out.</sub>");
        return text.ToString();
    }

    /// <summary>Text shown as written: no HTML comment hides in it and no "@name" in it mentions anyone.</summary>
    public static string Defuse(string text) => Mention().Replace(text.Replace("<!--", "&lt;!--", StringComparison.Ordinal), "@\u2060");

    /// <summary>Posts <paramref name="body"/> as the reply to comment <paramref name="commentId"/> on #<paramref name="number"/>.</summary>
    /// <param name="threadRoot">The review thread's first comment when the question was asked in one; null for the conversation.</param>
    public static async Task<string> PostAsync(GitHubRepo repo, int number, long commentId, long? threadRoot, string body, CancellationToken ct)
    {
        body += "\n\n" + Marker(commentId);
        if (threadRoot is { } root)
        {
            var reply = await repo.CallAsync($"replying to review comment {root}", c => c.PullRequest.ReviewComment.CreateReply(repo.Owner, repo.Name, number,
                new PullRequestReviewCommentReplyCreate(body, root)), ct);
            return reply.HtmlUrl ?? "";
        }
        var comments = await repo.CallAsync($"reading the comments of #{number}", c => c.Issue.Comment.GetAllForIssue(repo.Owner, repo.Name, number), ct);
        var mine = comments.FirstOrDefault(c => c.Body?.EndsWith(Marker(commentId), StringComparison.Ordinal) == true);
        if (mine is null) return (await repo.CallAsync($"answering on #{number}", c => c.Issue.Comment.Create(repo.Owner, repo.Name, number, body), ct)).HtmlUrl ?? "";
        if (mine.Body != body) await repo.CallAsync($"updating the answer on #{number}", c => c.Issue.Comment.Update(repo.Owner, repo.Name, mine.Id, body), ct);
        return mine.HtmlUrl ?? "";
    }

    [GeneratedRegex(@"@(?=[A-Za-z0-9])")]
    private static partial Regex Mention();
}
