using System.Text.Json;
using AgentFactory.GitHub;
using AgentFactory.Workspace;
using Octokit;

namespace AgentFactory.Agents.CodeReview;

/// <summary>
/// The guide's Example 1. A push: the diff of before...after (or of the one commit that created the
/// branch) is reviewed and the review posted as a comment on the pushed commit. A pull request: its
/// files are reviewed and a review with event COMMENT is posted. The review is the LLM's when one is
/// configured, plus the deterministic checks (<see cref="DiffReview"/>). Every commit SHA from the
/// payload is checked to be one before it reaches GitHub's API or git. A /review comment in a pull request's conversation
/// reviews that pull request, read from GitHub by its number.
/// </summary>
public sealed partial class CodeReviewAgent(string name, CodeReviewSettings settings, GitHubClients github, RepositorySources sources, ReviewWriter writer,
    Worktrees worktrees, ILogger<CodeReviewAgent> log) : IAgent
{
    private const string ZeroSha = "0000000000000000000000000000000000000000";

    public string Name { get; } = name;

    public async Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
    {
        if (job.Payload.TryGetProperty("pull_request", out var pr) && pr.ValueKind == JsonValueKind.Object)
        {
            if (!int.TryParse(job.PayloadString("pull_request.number"), out var number))
                throw new PermanentAgentException("The pull_request payload has no pull_request.number.");
            return await ReviewPullRequestAsync(job, number, job.PayloadString("pull_request.head.sha"), job.PayloadString("pull_request.title"), job.PayloadString("pull_request.body"), ct);
        }
        if (job.PayloadString("after") is not null) return await ReviewPushAsync(job, ct);
        if (job.Payload.TryGetProperty("issue", out var issue) && issue.ValueKind == JsonValueKind.Object) return await ReviewConversationAsync(job, issue, ct);
        throw new PermanentAgentException($"Agent '{Name}' reviews push and pull_request events; this job's payload has neither \"after\" nor \"pull_request\".");
    }

    /// <summary>
    /// /review in a pull request's conversation (an issue_comment, whose payload has the issue, not the pull request): the pull
    /// request is read from GitHub by its number and reviewed as for a pull_request event. On a plain issue there is nothing to review.
    /// </summary>
    private async Task<AgentResult> ReviewConversationAsync(AgentJob job, JsonElement issue, CancellationToken ct)
    {
        if (!int.TryParse(job.PayloadString("issue.number"), out var number)) throw new PermanentAgentException("The comment's payload has no issue.number.");
        if (!issue.TryGetProperty("pull_request", out var link) || link.ValueKind != JsonValueKind.Object)
            throw new PermanentAgentException($"#{number} is an issue, not a pull request: there is no change to review. Comment /review on a pull request.");
        var repo = await github.ForJobAsync(job, Name, ct);
        var pr = await repo.CallAsync($"reading pull request #{number}", c => c.PullRequest.Get(repo.Owner, repo.Name, number), ct);
        return await ReviewPullRequestAsync(job, number, pr.Head?.Sha, pr.Title, pr.Body, ct);
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
        var check = await ReviewCheck.StartAsync(repo, after, settings.Report, $"the push to {branch}", log, ct);
        return await ReportedAsync(check, () => ReviewPushAsync(job, repo, after, before, branch, ct), ct);
    }

    private async Task<Reviewed> ReviewPushAsync(AgentJob job, GitHubRepo repo, string after, string? before, string branch, CancellationToken ct)
    {
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
        var findings = review.AllFindings.Count;

        var comment = await repo.CallAsync("posting the review as a commit comment",
            c => c.Repository.Comment.Create(repo.Owner, repo.Name, after, new NewCommitComment(ReviewBody.CommitComment(review, settings.Limits))), ct);
        LogPosted(log, repo.FullName, range, findings);
        return new(AgentResult.Success($"Reviewed {range} of {repo.FullName} ({changes.Count} files, {findings} findings, {review.Author}); commit comment {comment.HtmlUrl}"),
            review, comment.HtmlUrl);
    }

    private async Task<AgentResult> ReviewPullRequestAsync(AgentJob job, int number, string? head, string? prTitle, string? description, CancellationToken ct)
    {
        if (head is not null) head = GitTarget.Commit(head, "pull_request.head.sha").Name;
        var repo = await github.ForJobAsync(job, Name, ct);
        var files = await repo.CallAsync($"listing the files of pull request #{number}", c => c.PullRequest.Files(repo.Owner, repo.Name, number), ct);
        var pullFiles = files.Select(f => new FileChange(f.FileName, f.Status, f.Additions, f.Deletions, f.Patch)).ToList();
        var history = await PullRequestReviewer.HistoryAsync(repo, number, github.Settings.ServiceLogins, ct);
        // A push whose head was reviewed already needs no review; /review asked for one in so many words, so the whole pull request is
        // reviewed again (findings already on it are still not repeated).
        var current = head is not null && string.Equals(history.ReviewedSha, head, StringComparison.OrdinalIgnoreCase);
        if (current && job.PayloadString("agentfactory.command") != "review")
            return AgentResult.Success($"Pull request #{number} of {repo.FullName}: {head![..7]} was already reviewed; nothing new to review.");

        var check = await ReviewCheck.StartAsync(repo, head, settings.Report, $"pull request #{number}", log, ct);
        return await ReportedAsync(check, () => ReviewPullRequestAsync(job, repo, number, head, new ReviewSubject(prTitle, description, current), pullFiles, history, ct), ct);
    }

    /// <summary>What the pull request says of itself, and whether its head was reviewed already (then it is reviewed whole again).</summary>
    private sealed record ReviewSubject(string? Title, string? Description, bool Current);

    private async Task<Reviewed> ReviewPullRequestAsync(AgentJob job, GitHubRepo repo, int number, string? head, ReviewSubject subject, IReadOnlyList<FileChange> pullFiles,
        ReviewHistory history, CancellationToken ct)
    {
        var title = $"pull request #{number}: {subject.Title ?? ""}".TrimEnd(' ', ':');
        IReadOnlyList<FileChange> changes = pullFiles;
        IReadOnlyList<string> messages = subject.Description is null ? [] : [subject.Description];
        string? range = null;
        if (!subject.Current && history.ReviewedSha is { } reviewed && head is not null && await PullRequestReviewer.SinceAsync(repo, reviewed, head, ct) is { } since)
        {
            changes = [.. since.Files.Select(f => new FileChange(f.Filename, f.Status, f.Additions, f.Deletions, f.Patch))];
            messages = [.. messages, .. since.Messages];
            range = $"{Short(reviewed)}...{Short(head)}, {since.Messages.Count} commit{(since.Messages.Count == 1 ? "" : "s")}";
        }
        changes = await WithSizesAsync(changes, head, job, ct);
        var review = await writer.WriteAsync(job, title, repo.FullName, messages, changes, settings, ct);

        var plan = InlineComments.Plan(review.AllFindings, pullFiles, history.Comments);
        var caveat = history.Trusted ? null : "Set GITHUB_SERVICE_LOGIN to the service's account to review only new commits on each push and never repeat a finding.";
        var body = ReviewBody.PullRequest(review, plan.Elsewhere, plan.Inline.Count, plan.Repeated, range, head, settings.Limits, caveat);
        var posted = await PullRequestReviewer.PostAsync(repo, number, head, body, plan, ct);
        LogPosted(log, repo.FullName, $"#{number}", plan.Inline.Count + plan.Elsewhere.Count);
        return new(AgentResult.Success($"Reviewed pull request #{number} of {repo.FullName} ({(range is null ? "" : range + ", ")}{changes.Count} files, " +
            $"{plan.Inline.Count} inline comments, {plan.Elsewhere.Count} findings in the summary, {plan.Repeated} already posted, {review.NotReviewed.Count} files not reviewed, {review.Author}); review {posted.HtmlUrl}"),
            review, posted.HtmlUrl);
    }

    private sealed record Reviewed(AgentResult Result, ReviewDraft Review, string? Url);

    /// <summary>Runs the review and ends its check run or commit status with how it ended; the review's own outcome is unchanged.</summary>
    private static async Task<AgentResult> ReportedAsync(ReviewCheck? check, Func<Task<Reviewed>> review, CancellationToken ct)
    {
        if (check is null) return (await review()).Result;
        try
        {
            var done = await review();
            var findings = done.Review.AllFindings;
            var verdict = ReviewCheck.VerdictOf(findings);
            var errors = findings.Count(f => f.Severity == ReviewSeverity.Error);
            var title = verdict == ReviewVerdict.Clean ? "No findings"
                : $"{findings.Count} finding{(findings.Count == 1 ? "" : "s")}{(errors > 0 ? $", {errors} error{(errors == 1 ? "" : "s")}" : "")}";
            await check.EndAsync(verdict, title, string.IsNullOrWhiteSpace(done.Review.Summary) ? title : done.Review.Summary, done.Url);
            return done.Result;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await check.EndAsync(ReviewVerdict.Cancelled, "Stopped before it finished",
                "The review was cancelled before it finished: superseded by a newer push, cancelled with /cancel, or the service restarted (then it runs again).");
            throw;
        }
        catch (Exception e)
        {
            await check.EndAsync(ReviewVerdict.Failed, "The review failed", e.Message);
            throw;
        }
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
