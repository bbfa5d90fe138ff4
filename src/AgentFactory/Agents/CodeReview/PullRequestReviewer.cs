using AgentFactory.GitHub;
using AgentFactory.Workspace;
using Octokit;

namespace AgentFactory.Agents.CodeReview;

/// <summary>What the agent learns from the pull request's earlier reviews.</summary>
/// <param name="ReviewedSha">The head commit the service's last review covered (its hidden marker), or null.</param>
public sealed record ReviewHistory(string? ReviewedSha, IReadOnlyList<ExistingComment> Comments, bool Trusted);

/// <summary>
/// A pull request's review: one batched review (POST /pulls/{n}/reviews with comments[], through
/// Octokit's PullRequestReviewCreate and position-based DraftPullRequestReviewComments) whose
/// body carries the summary and the hidden marker of the reviewed head. With GITHUB_SERVICE_LOGIN
/// set, the service's own earlier reviews say what was reviewed: only the commits since are reviewed,
/// and findings already posted are not posted again. Others' reviews and comments never count, so
/// nobody can mark commits as reviewed or pre-empt a finding.
/// </summary>
public static class PullRequestReviewer
{
    public static async Task<ReviewHistory> HistoryAsync(GitHubRepo repo, int number, IReadOnlyList<string> serviceLogins, CancellationToken ct)
    {
        if (serviceLogins.Count == 0) return new ReviewHistory(null, [], false);
        bool Ours(string? login) => login is not null && serviceLogins.Contains(login, StringComparer.OrdinalIgnoreCase);
        var reviews = await repo.CallAsync($"reading the reviews of pull request #{number}", c => c.PullRequest.Review.GetAll(repo.Owner, repo.Name, number), ct);
        var reviewed = reviews.Where(r => Ours(r.User?.Login)).Select(r => ReviewMarker.Read(r.Body)).LastOrDefault(s => s is not null);
        var path = new Uri($"repos/{Uri.EscapeDataString(repo.Owner)}/{Uri.EscapeDataString(repo.Name)}/pulls/{number}/comments", UriKind.Relative);
        var comments = await repo.CallAsync($"reading the review comments of pull request #{number}",
            c => new ApiConnection(c.Connection).GetAll<CommentAnswer>(path), ct);
        return new ReviewHistory(reviewed, [.. comments.Where(c => Ours(c.User?.Login) && c.Path is not null)
            .Select(c => new ExistingComment(c.Path!, c.Line ?? c.OriginalLine, c.Body ?? ""))], true);
    }

    /// <summary>
    /// The commits since <paramref name="reviewed"/> when it is an ancestor of <paramref name="head"/>: their files and
    /// messages. Null after a force-push (diverged, or the commit is gone): the whole pull request is reviewed again.
    /// </summary>
    public static async Task<(IReadOnlyList<GitHubCommitFile> Files, IReadOnlyList<string> Messages)?> SinceAsync(GitHubRepo repo, string reviewed, string head, CancellationToken ct)
    {
        GitTarget.Commit(reviewed, "the reviewed commit of an earlier review");
        try
        {
            var compare = await repo.CallAsync($"comparing {reviewed[..7]}...{head[..7]}", c => c.Repository.Commit.Compare(repo.Owner, repo.Name, reviewed, head), ct);
            if (compare.Status != "ahead") return null;
            return (compare.Files ?? [], [.. (compare.Commits ?? []).Select(c => c.Commit?.Message ?? "")]);
        }
        catch (PermanentAgentException)
        {
            return null;
        }
    }

    public static Task<PullRequestReview> PostAsync(GitHubRepo repo, int number, string? head, string body, CommentPlan plan, CancellationToken ct)
    {
        var create = new PullRequestReviewCreate { Body = body, Event = PullRequestReviewEvent.Comment, CommitId = head };
        foreach (var c in plan.Inline) create.Comments.Add(new DraftPullRequestReviewComment(c.Body, c.Finding.Path, c.Position));
        return repo.CallAsync($"posting the review on pull request #{number}", c => c.PullRequest.Review.Create(repo.Owner, repo.Name, number, create), ct);
    }

    /// <summary>The fields read from GET /pulls/{n}/comments (Octokit's model has no "line").</summary>
    public sealed class CommentAnswer
    {
        public string? Path { get; set; }
        public int? Line { get; set; }
        public int? OriginalLine { get; set; }
        public string? Body { get; set; }
        public Author? User { get; set; }
    }

    public sealed class Author
    {
        public string? Login { get; set; }
    }
}
