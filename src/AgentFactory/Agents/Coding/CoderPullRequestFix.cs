using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentFactory.Agents.Trust;
using AgentFactory.GitHub;
using AgentFactory.Models;
using AgentFactory.Routing;
using AgentFactory.Workspace;

namespace AgentFactory.Agents.Coding;

/// <summary>A /fix comment in a pull request's conversation: the pull request's branch and the task, or why it was refused.</summary>
/// <param name="HeadSha">The pull request's head commit when it was read.</param>
/// <param name="Refused">Why the agent does not work on it, in the user's terms; null when it does.</param>
public sealed record PullRequestFix(int PullRequest, long CommentId, string Branch, string HeadSha, string Title, string Instructions, string? Refused = null);

/// <summary>
/// <c>/fix &lt;instruction&gt;</c> commented on a pull request (issue 14 item 1): the coding agent works on the pull
/// request's own head branch — checked out in its private worktree, committed on top, pushed back to the same branch
/// with the lease on the commit it fetched — and replies on the pull request. The push goes only where every agent
/// pushes (<see cref="RepositorySources.PushTarget"/>), so a pull request whose branch is in a fork is refused: the
/// service never pushes to another repository, and the branch name in the payload is only a name. The pull request's
/// text and the comment are untrusted input, fenced.
/// </summary>
public static class CoderPullRequestFix
{
    private const string MarkerStart = "<!-- agentfactory:fix-reply ";

    /// <summary>A comment (not a review) on a pull request: an issue_comment whose issue is a pull request, or a review comment.</summary>
    public static bool IsPullRequestComment(AgentJob job) =>
        job.PayloadString("comment.id") is not null && job.PayloadString("review.id") is null && IsPullRequest(job.Payload);

    private static bool IsPullRequest(JsonElement payload) =>
        payload.TryGetProperty("issue", out var issue) && issue.ValueKind == JsonValueKind.Object
            ? issue.TryGetProperty("pull_request", out var link) && link.ValueKind == JsonValueKind.Object
            : payload.TryGetProperty("pull_request", out var pr) && pr.ValueKind == JsonValueKind.Object;

    /// <summary>The reply's marker: one reply per /fix comment, edited by a rerun of the same job.</summary>
    public static string Marker(long commentId) => MarkerStart + commentId.ToString(CultureInfo.InvariantCulture) + " -->";

    public static async Task<PullRequestFix> LoadAsync(GitHubRepo repo, AgentJob job, string defaultBranch, CancellationToken ct)
    {
        if (CommentRouting.NumberOf(job.Payload) is not { } n || n is < 1 or > int.MaxValue)
            throw new PermanentAgentException("The comment's payload names no pull request (issue.number or pull_request.number).");
        var number = (int)n;
        _ = long.TryParse(job.PayloadString("comment.id"), CultureInfo.InvariantCulture, out var commentId);
        var pr = await repo.CallAsync($"reading pull request #{number}", c => c.PullRequest.Get(repo.Owner, repo.Name, number), ct);
        var branch = pr.Head?.Ref ?? "";
        var refused = new PullRequestFix(number, commentId, branch, pr.Head?.Sha ?? "", UntrustedText.Clean(pr.Title ?? ""), "");
        var headRepo = pr.Head?.Repository?.FullName;
        if (!string.Equals(headRepo, repo.FullName, StringComparison.OrdinalIgnoreCase))
            return refused with { Refused = $"the pull request's branch is in a fork ({(headRepo is null ? "a repository that no longer exists" : UntrustedText.Clean(headRepo))}), " +
                $"and the agent pushes only to {repo.FullName}. Push the branch to {repo.FullName} and open the pull request from there, or use /fix on the issue." };
        if (pr.State.StringValue != "open")
            return refused with { Refused = $"pull request #{number} is {pr.State.StringValue}. Reopen it, or use /fix on the issue." };
        if (!GitTarget.IsRefName(branch))
            return refused with { Refused = $"the pull request's branch name ({UntrustedText.Clean(branch)}) is not one git accepts." };
        if (string.Equals(branch, defaultBranch, StringComparison.Ordinal))
            return refused with { Refused = $"the pull request's branch is the default branch ({defaultBranch}), which the agent never pushes to. Open the pull request from a branch of its own." };

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Pull request #{number}, opened by @{pr.User?.Login ?? "?"}, from branch {branch} into {pr.Base?.Ref ?? defaultBranch}:\n");
        text.Append(UntrustedText.Fence("pull-request", $"{pr.Title}\n\n{pr.Body}")).Append('\n');
        var asked = job.PayloadString("agentfactory.argument");
        text.Append("\nThe comment that asked for this work (by @").Append(job.PayloadString("comment.user.login") ?? "?").Append(") says:\n")
            .Append(UntrustedText.Fence("comment", string.IsNullOrWhiteSpace(asked) ? "/fix (no instruction: fix what the pull request's description asks for)" : asked)).Append('\n');
        text.Append("\nMake the change on this branch, on top of its commits; run the tests and finish with a summary of what you changed.\n");
        return refused with { Instructions = text.ToString() };
    }

    /// <summary>The reply for a request the agent refused.</summary>
    public static string RefusedText(string why) => $"I did not work on this pull request: {why}";

    /// <summary>The reply for a run: what was pushed on the branch, or why nothing was.</summary>
    /// <param name="started">The branch's commit the run started from; <paramref name="head"/> its commit after.</param>
    public static string Text(PullRequestFix fix, CodingOutcome outcome, string? started, string? head)
    {
        var pushed = head is not null && !string.Equals(head, started, StringComparison.OrdinalIgnoreCase);
        var commit = pushed && head is not null ? head[..Math.Min(7, head.Length)] : "";
        var summary = Quote(outcome.Summary);
        return outcome.End switch
        {
            CodingEnd.Finished when !pushed => $"I worked on `{fix.Branch}` but changed nothing:{summary}",
            CodingEnd.Finished => $"I pushed {commit} to `{fix.Branch}`:{summary}\n\n{Tests(outcome.Tests)}",
            CodingEnd.BudgetEnded => $"I stopped because the {BudgetExceededException.NameOf(outcome.Budget ?? BudgetKind.WallClock)} budget ended. " +
                (pushed ? $"The work so far is pushed to `{fix.Branch}` ({commit})." : "Nothing had changed yet, so nothing was pushed.") + $"\n\n{outcome.Detail}",
            _ => $"I could not finish: {outcome.Detail}" + (pushed ? $"\n\nThe work so far is pushed to `{fix.Branch}` ({commit})." : ""),
        };
    }

    /// <summary>Writes the one reply to this /fix comment on the pull request, or edits it on a rerun.</summary>
    public static async Task ReplyAsync(GitHubRepo repo, PullRequestFix fix, string text, CancellationToken ct)
    {
        var body = ReviewText(text) + "\n\n" + Marker(fix.CommentId);
        var comments = await repo.CallAsync($"reading the comments of pull request #{fix.PullRequest}", c => c.Issue.Comment.GetAllForIssue(repo.Owner, repo.Name, fix.PullRequest), ct);
        var mine = comments.FirstOrDefault(c => c.Body?.EndsWith(Marker(fix.CommentId), StringComparison.Ordinal) == true);
        if (mine is null)
            await repo.CallAsync($"replying on pull request #{fix.PullRequest}", c => c.Issue.Comment.Create(repo.Owner, repo.Name, fix.PullRequest, body), ct);
        else if (mine.Body != body)
            await repo.CallAsync($"updating the reply on pull request #{fix.PullRequest}", c => c.Issue.Comment.Update(repo.Owner, repo.Name, mine.Id, body), ct);
    }

    /// <summary>The model's words shown, never hidden: no HTML comment (so no marker) can come from them.</summary>
    private static string ReviewText(string text) => text.Replace("<!--", "&lt;!--", StringComparison.Ordinal);

    private static string Tests(Tools.TestOutcome tests) => tests switch
    {
        Tools.TestOutcome.Passed => "The repository's tests passed on the change.",
        Tools.TestOutcome.Failed => "The repository's tests failed on the change.",
        _ => "The repository's tests were not run on the change.",
    };

    private static string Quote(string text)
    {
        var cut = text.Length > 3_000 ? text[..3_000] + "…" : text;
        return "\n\n> " + cut.Trim().Replace("\n", "\n> ", StringComparison.Ordinal);
    }
}
