using AgentFactory.GitHub;
using AgentFactory.Workspace;
using Octokit;

namespace AgentFactory.Agents.Tasks;

/// <summary>
/// The guide's Example 3, for an issue labeled agent-task: reads the issue, writes an implementation
/// plan, commits it as plans/issue-N.md on branch agent-task/issue-N (from a private worktree at the
/// default branch), pushes it, opens a pull request and comments on the issue with its link.
/// Idempotent: an open pull request from that branch is reused, and the comment is written once.
/// The code comes from the repository's own mirror; the push goes to agents.&lt;name&gt;.remote or to
/// the repository on the configured GitHub host, never to a URL from the payload.
/// </summary>
public sealed partial class TaskAgent(string name, TaskAgentSettings settings, GitHubClients github, RepositorySources sources, PlanWriter planner,
    Worktrees worktrees, Git git, ILogger<TaskAgent> log, string? commentNote = null) : IAgent
{
    private const string CommentMarker = "<!-- agentfactory:task-pr ";

    public string Name { get; } = name;

    public async Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
    {
        if (!int.TryParse(job.PayloadString("issue.number"), out var number))
            throw new PermanentAgentException($"Agent '{Name}' works on issues: the job payload has no issue.number.");
        var repo = await github.ForJobAsync(job, Name, ct);
        var branch = settings.BranchPrefix + number;

        var existing = await repo.CallAsync($"looking for an open pull request from {branch}", c => c.PullRequest.GetAllForRepository(repo.Owner, repo.Name,
            new PullRequestRequest { State = ItemStateFilter.Open, Head = $"{repo.Owner}:{branch}" }), ct);
        var pr = existing.Count > 0 ? existing[0] : null;
        var opened = false;
        if (pr is null)
        {
            var issue = await repo.CallAsync($"reading issue #{number}", c => c.Issue.Get(repo.Owner, repo.Name, number), ct);
            var info = new IssueInfo(number, issue.Title ?? "", issue.Body ?? "", issue.HtmlUrl ?? "", issue.User?.Login ?? "?", [.. (issue.Labels ?? []).Select(l => l.Name)]);
            var baseBranch = GitTarget.Branch(job.PayloadString("repository.default_branch") ?? "main", "repository.default_branch");
            await CommitPlanAsync(job, repo, info, branch, baseBranch, ct);
            pr = await OpenPullRequestAsync(repo, info, branch, baseBranch.Name, ct);
            opened = true;
        }

        var comments = await repo.CallAsync($"reading the comments of issue #{number}", c => c.Issue.Comment.GetAllForIssue(repo.Owner, repo.Name, number), ct);
        var marker = CommentMarker + pr.Number + " -->";
        if (!comments.Any(c => c.Body?.Contains(marker, StringComparison.Ordinal) == true))
        {
            await repo.CallAsync($"commenting on issue #{number}", c => c.Issue.Comment.Create(repo.Owner, repo.Name, number,
                $"I wrote an implementation plan for this issue: {pr.HtmlUrl}\n\n{(commentNote is null ? "" : commentNote + "\n\n")}{marker}"), ct);
        }
        LogDone(log, repo.FullName, number, pr.Number, opened);
        return AgentResult.Success($"{(opened ? "Opened" : "Found open")} pull request #{pr.Number} {pr.HtmlUrl} for issue #{number} of {repo.FullName}");
    }

    private async Task CommitPlanAsync(AgentJob job, GitHubRepo repo, IssueInfo issue, string branch, GitTarget baseBranch, CancellationToken ct)
    {
        await using var tree = await worktrees.CheckoutAsync(await sources.ForJobAsync(job, Name, ct), baseBranch, $"task-{job.Id}", ct);
        var files = (await git.RunAsync(tree.Path, ["ls-files"], ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var (plan, author) = await planner.WriteAsync(job, repo.FullName, issue, files, settings.UseLlm, ct);

        var relative = Path.Combine(settings.PlanDirectory, $"issue-{issue.Number}.md");
        var full = Path.Combine(tree.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await File.WriteAllTextAsync(full, plan, ct);
        await git.RunAsync(tree.Path, ["add", "--", relative], ct);
        await git.RunAsync(tree.Path, ["-c", $"user.name={settings.AuthorName}", "-c", $"user.email={settings.AuthorEmail}", "-c", "commit.gpgsign=false",
            "commit", "--quiet", "--allow-empty", "-m", $"Plan for #{issue.Number}: {issue.Title}\n\nWritten by Agent Factory ({author}) for {issue.Url}"], ct);

        var remote = sources.PushTarget(settings.Remote, repo);
        // The branch belongs to the agent: a rerun replaces an earlier plan whose pull request was closed.
        var push = await git.TryRunAsync(tree.Path, ["push", "--force", "--quiet", "--end-of-options", remote.Url, $"HEAD:refs/heads/{branch}"], ct, GitConfig.For(remote.Auth));
        if (push.ExitCode != 0)
            throw new GitException($"Could not push the plan branch {branch} to {remote.Url}: {push.Output.Trim()}. " + (settings.Remote is null
                ? $"The remote is {repo.FullName} on the git host of GITHUB_API_URL: check that the GitHub credential may push to it (Contents: read and write)."
                : $"Check agents.{Name}.remote and its credentials."));
    }

    private static async Task<PullRequest> OpenPullRequestAsync(GitHubRepo repo, IssueInfo issue, string branch, string baseBranch, CancellationToken ct)
    {
        var body = $"Implementation plan for #{issue.Number}, written by Agent Factory.\n\nRefs #{issue.Number}";
        try
        {
            return await repo.CallAsync($"opening a pull request from {branch}", c => c.PullRequest.Create(repo.Owner, repo.Name,
                new NewPullRequest($"Plan for #{issue.Number}: {issue.Title}", branch, baseBranch) { Body = body }), ct);
        }
        catch (PermanentAgentException e) when (e.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase))
        {
            // Another attempt opened it between our look-up and now.
            var open = await repo.CallAsync($"looking for an open pull request from {branch}", c => c.PullRequest.GetAllForRepository(repo.Owner, repo.Name,
                new PullRequestRequest { State = ItemStateFilter.Open, Head = $"{repo.Owner}:{branch}" }), ct);
            if (open.Count > 0) return open[0];
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Task agent: {Repository} issue #{Issue} → pull request #{PullRequest} (newly opened: {Opened})")]
    private static partial void LogDone(ILogger logger, string repository, int issue, int pullRequest, bool opened);
}
