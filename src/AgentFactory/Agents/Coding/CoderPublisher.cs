using System.Globalization;
using System.Text;
using AgentFactory.Agents.Coding.Tools;
using AgentFactory.GitHub;
using AgentFactory.Jobs;
using AgentFactory.Models;
using Octokit;

namespace AgentFactory.Agents.Coding;

/// <summary>What a coder run leaves on GitHub: one pull request per branch and one comment per issue, both updated on every rerun.</summary>
/// <param name="Outcome">Its tests drive draft or ready: only tests that passed on the final change make a ready pull request.</param>
public sealed record CoderReport(int Issue, string IssueTitle, string Branch, string BaseBranch, CodingOutcome Outcome, string DiffStat, JobUsage Usage);

/// <summary>
/// Opens or updates the pull request from the agent's branch (its body holds the plan, the summary, what
/// changed and the test outcome; a draft unless the repository's tests passed in the worktree), and writes
/// or edits the one comment on the issue with the link and the outcome. A rerun finds both by the branch and
/// by a marker, so there is never a second pull request or comment.
/// </summary>
public static class CoderPublisher
{
    public const string CommentMarker = "<!-- agentfactory:coder -->";

    public static async Task<PullRequest> PullRequestAsync(GitHubRepo repo, CoderReport report, CancellationToken ct)
    {
        var body = Body(report);
        var draft = report.Outcome.Tests != TestOutcome.Passed;
        var title = $"Fix #{report.Issue}: {report.IssueTitle}";
        var pr = await FindAsync(repo, report.Branch, ct);
        if (pr is null)
        {
            try
            {
                return await repo.CallAsync($"opening a pull request from {report.Branch}", c => c.PullRequest.Create(repo.Owner, repo.Name,
                    new NewPullRequest(title, report.Branch, report.BaseBranch) { Body = body, Draft = draft }), ct);
            }
            catch (PermanentAgentException e) when (e.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase))
            {
                pr = await FindAsync(repo, report.Branch, ct);
                if (pr is null) throw;
            }
        }
        pr = await repo.CallAsync($"updating pull request #{pr.Number}", c => c.PullRequest.Update(repo.Owner, repo.Name, pr.Number, new PullRequestUpdate { Body = body }), ct);
        if (pr.Draft && !draft) await MarkReadyAsync(repo, pr, ct);
        return pr;
    }

    /// <summary>The issue's one comment from the coder: created the first time, edited after.</summary>
    public static async Task CommentAsync(GitHubRepo repo, int issue, string text, CancellationToken ct)
    {
        var body = text + "\n\n" + CommentMarker;
        var comments = await repo.CallAsync($"reading the comments of issue #{issue}", c => c.Issue.Comment.GetAllForIssue(repo.Owner, repo.Name, issue), ct);
        var mine = comments.FirstOrDefault(c => c.Body?.Contains(CommentMarker, StringComparison.Ordinal) == true);
        if (mine is null)
            await repo.CallAsync($"commenting on issue #{issue}", c => c.Issue.Comment.Create(repo.Owner, repo.Name, issue, body), ct);
        else if (mine.Body != body)
            await repo.CallAsync($"updating the comment on issue #{issue}", c => c.Issue.Comment.Update(repo.Owner, repo.Name, mine.Id, body), ct);
    }

    /// <summary>The comment's text for an outcome, with the pull request's link when there is one.</summary>
    public static string CommentText(CoderReport report, PullRequest? pr)
    {
        var o = report.Outcome;
        var link = pr is null ? "" : $" {pr.HtmlUrl}";
        return o.End switch
        {
            CodingEnd.Finished when pr is null => $"I worked on this issue but changed nothing: {Quote(o.Summary)}",
            CodingEnd.Finished => $"I opened a pull request with a change for this issue:{link}\n\n{TestLine(o.Tests)}",
            CodingEnd.BudgetEnded => $"I stopped because the {BudgetExceededException.NameOf(o.Budget ?? BudgetKind.WallClock)} budget ended. " +
                (pr is null ? "Nothing had changed yet, so there is no pull request." : $"The work so far is in a draft pull request:{link}") + $"\n\n{o.Detail}",
            _ => $"I could not finish this issue: {o.Detail}" + (pr is null ? "" : $"\n\nThe work so far is in a draft pull request:{link}"),
        };
    }

    private static string Body(CoderReport r)
    {
        var o = r.Outcome;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Resolves #{r.Issue}, written by Agent Factory's coding agent.\n\n");
        if (o.Plan is { Length: > 0 } plan) text.Append("## Plan\n\n").Append(plan.Trim()).Append("\n\n");
        text.Append("## Summary\n\n").Append(o.Summary.Trim()).Append("\n\n");
        if (r.DiffStat.Length > 0) text.Append("## Changed files\n\n```\n").Append(r.DiffStat).Append("\n```\n\n");
        text.Append("## Tests\n\n").Append(TestLine(o.Tests)).Append("\n\n");
        if (o.End == CodingEnd.BudgetEnded) text.Append("## Stopped early\n\n").Append(o.Detail).Append("\n\n");
        if (o.End == CodingEnd.Failed) text.Append("## Not finished\n\n").Append(o.Detail).Append("\n\n");
        text.Append(CultureInfo.InvariantCulture,
            $"<sub>{r.Usage.ModelTurns} model turns · {r.Usage.InputTokens} input and {r.Usage.OutputTokens} output tokens · ${r.Usage.CostUsd:0.####}</sub>");
        return text.ToString();
    }

    private static string TestLine(TestOutcome tests) => tests switch
    {
        TestOutcome.Passed => "The repository's tests passed on the final change.",
        TestOutcome.Failed => "The repository's tests failed on the final change, so this pull request is a draft.",
        _ => "The repository's tests were not run on the final change, so this pull request is a draft.",
    };

    private static string Quote(string text) => "\n\n> " + text.Trim().Replace("\n", "\n> ", StringComparison.Ordinal);

    private static async Task<PullRequest?> FindAsync(GitHubRepo repo, string branch, CancellationToken ct)
    {
        var open = await repo.CallAsync($"looking for an open pull request from {branch}", c => c.PullRequest.GetAllForRepository(repo.Owner, repo.Name,
            new PullRequestRequest { State = ItemStateFilter.Open, Head = $"{repo.Owner}:{branch}" }), ct);
        return open.Count > 0 ? open[0] : null;
    }

    /// <summary>REST cannot take a pull request out of draft; GraphQL's markPullRequestReadyForReview can (at /graphql, or /api/graphql on GitHub Enterprise Server).</summary>
    private static async Task MarkReadyAsync(GitHubRepo repo, PullRequest pr, CancellationToken ct)
    {
        var api = repo.Client.Connection.BaseAddress;
        var graphql = api.AbsolutePath.EndsWith("/api/v3/", StringComparison.Ordinal) ? new Uri(api, "../graphql") : new Uri(api, "graphql");
        var request = new Dictionary<string, object>
        {
            ["query"] = "mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { isDraft } } }",
            ["variables"] = new Dictionary<string, object> { ["id"] = pr.NodeId },
        };
        await repo.CallAsync($"marking pull request #{pr.Number} ready for review",
            async c => (await c.Connection.Post<object>(graphql, request, "application/json", "application/json")).Body, ct);
    }
}
