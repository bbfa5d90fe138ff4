using System.Text.Json;
using AgentFactory.GitHub;
using AgentFactory.Workspace;
using Microsoft.Extensions.Logging;
using Octokit;

namespace AgentFactory.Agents.CodeReview;

/// <summary>Settings of a "code_review" agent in the routing file.</summary>
public sealed class CodeReviewSettings
{
    /// <summary>Ask the LLM for the review when one is configured (LLM_MODEL); the automated checks are always added.</summary>
    public bool UseLlm { get; set; } = true;

    /// <summary>Check out the commit in a worktree to measure the changed files' sizes.</summary>
    public bool Checkout { get; set; }

    public int LargeFileChangeLines { get; set; } = 500;
    public int LargeDiffLines { get; set; } = 2000;
    public long LargeFileBytes { get; set; } = 1_000_000;

    internal ReviewLimits Limits => new(LargeFileChangeLines, LargeDiffLines, LargeFileBytes);
}

/// <summary>
/// The guide's Example 1. A push: the diff of before...after (or of the one commit that created the
/// branch) is reviewed and the review posted as a comment on the pushed commit. A pull request: its
/// files are reviewed and a review with event COMMENT is posted. The review is the LLM's when one is
/// configured, plus the deterministic checks (<see cref="DiffReview"/>). Every commit SHA from the
/// payload is checked to be one before it reaches GitHub's API or git.
/// </summary>
public sealed partial class CodeReviewAgent(string name, CodeReviewSettings settings, GitHubClients github, RepositorySources sources, ReviewWriter writer,
    Worktrees worktrees, ILogger<CodeReviewAgent> log) : IAgent
{
    private const string ZeroSha = "0000000000000000000000000000000000000000";

    public string Name { get; } = name;

    public async Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
    {
        if (job.Payload.TryGetProperty("pull_request", out var pr) && pr.ValueKind == JsonValueKind.Object) return await ReviewPullRequestAsync(job, ct);
        if (job.PayloadString("after") is not null) return await ReviewPushAsync(job, ct);
        throw new PermanentAgentException($"Agent '{Name}' reviews push and pull_request events; this job's payload has neither \"after\" nor \"pull_request\".");
    }

    private async Task<AgentResult> ReviewPushAsync(AgentJob job, CancellationToken ct)
    {
        var after = job.PayloadString("after")!;
        if (job.PayloadString("deleted") == "true" || after == ZeroSha) return AgentResult.Success("The push deleted the branch: nothing to review.");
        GitTarget.Commit(after, "after");
        var before = job.PayloadString("before");
        if (before is not null) GitTarget.Commit(before, "before");
        var branch = job.PayloadString("ref")?.Replace("refs/heads/", "", StringComparison.Ordinal) ?? "?";
        var repo = await github.ForJobAsync(job, Name, ct);

        IReadOnlyList<GitHubCommitFile> files;
        IReadOnlyList<string> messages;
        string range;
        if (before is null || before == ZeroSha)
        {
            // A new branch: GitHub has no "before", so review the pushed commit on its own.
            var commit = await repo.CallAsync($"reading commit {Short(after)}", c => c.Repository.Commit.Get(repo.Owner, repo.Name, after), ct);
            (files, messages, range) = (commit.Files ?? [], [commit.Commit?.Message ?? ""], $"commit {Short(after)}");
        }
        else
        {
            var compare = await repo.CallAsync($"comparing {Short(before)}...{Short(after)}", c => c.Repository.Commit.Compare(repo.Owner, repo.Name, before, after), ct);
            (files, messages, range) = (compare.Files ?? [], [.. (compare.Commits ?? []).Select(c => c.Commit?.Message ?? "")], $"{Short(before)}...{Short(after)}");
        }
        var changes = await WithSizesAsync([.. files.Select(f => new FileChange(f.Filename, f.Status, f.Additions, f.Deletions, f.Patch))], after, job, ct);
        var title = $"push to {branch} ({range}, {messages.Count} commit{(messages.Count == 1 ? "" : "s")})";
        var review = await writer.WriteAsync(job, title, repo.FullName, messages, changes, settings, ct);

        var comment = await repo.CallAsync("posting the review as a commit comment",
            c => c.Repository.Comment.Create(repo.Owner, repo.Name, after, new NewCommitComment(review.Body)), ct);
        LogPosted(log, repo.FullName, range, review.Findings);
        return AgentResult.Success($"Reviewed {range} of {repo.FullName} ({changes.Count} files, {review.Findings} findings, {review.Author}); commit comment {comment.HtmlUrl}");
    }

    private async Task<AgentResult> ReviewPullRequestAsync(AgentJob job, CancellationToken ct)
    {
        if (!int.TryParse(job.PayloadString("pull_request.number"), out var number))
            throw new PermanentAgentException("The pull_request payload has no pull_request.number.");
        var head = job.PayloadString("pull_request.head.sha");
        if (head is not null) GitTarget.Commit(head, "pull_request.head.sha");
        var repo = await github.ForJobAsync(job, Name, ct);
        var files = await repo.CallAsync($"listing the files of pull request #{number}", c => c.PullRequest.Files(repo.Owner, repo.Name, number), ct);
        var changes = await WithSizesAsync([.. files.Select(f => new FileChange(f.FileName, f.Status, f.Additions, f.Deletions, f.Patch))], head, job, ct);
        var title = $"pull request #{number}: {job.PayloadString("pull_request.title") ?? ""}".TrimEnd(' ', ':');
        var description = job.PayloadString("pull_request.body");
        var review = await writer.WriteAsync(job, title, repo.FullName, description is null ? [] : [description], changes, settings, ct);

        var posted = await repo.CallAsync($"posting the review on pull request #{number}", c => c.PullRequest.Review.Create(repo.Owner, repo.Name, number,
            new PullRequestReviewCreate { Body = review.Body, Event = PullRequestReviewEvent.Comment, CommitId = head }), ct);
        LogPosted(log, repo.FullName, $"#{number}", review.Findings);
        return AgentResult.Success($"Reviewed pull request #{number} of {repo.FullName} ({changes.Count} files, {review.Findings} findings, {review.Author}); review {posted.HtmlUrl}");
    }

    /// <summary>With checkout on, each changed file's size at the commit, from a private worktree.</summary>
    private async Task<IReadOnlyList<FileChange>> WithSizesAsync(IReadOnlyList<FileChange> changes, string? sha, AgentJob job, CancellationToken ct)
    {
        if (!settings.Checkout || sha is null) return changes;
        await using var tree = await worktrees.CheckoutAsync(await sources.ForJobAsync(job, Name, ct), GitTarget.Commit(sha), $"review-{job.Id}", ct);
        return [.. changes.Select(c => File.Exists(Path.Combine(tree.Path, c.Path)) ? c with { SizeBytes = new FileInfo(Path.Combine(tree.Path, c.Path)).Length } : c)];
    }

    private static string Short(string sha) => sha.Length > 7 ? sha[..7] : sha;

    [LoggerMessage(Level = LogLevel.Information, Message = "Posted a code review of {Repository} {Range} ({Findings} findings)")]
    private static partial void LogPosted(ILogger logger, string repository, string range, int findings);
}
