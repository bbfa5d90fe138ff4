using System.Globalization;
using System.Text;
using AgentFactory.Agents.Trust;
using AgentFactory.GitHub;
using AgentFactory.Jobs;
using Octokit;

namespace AgentFactory.Agents.Coding;

/// <summary>A review to follow up: its comments (the task) and where the answers go.</summary>
/// <param name="Skip">Why there is nothing to do (not the agent's pull request, no comments); null otherwise.</param>
public sealed record ReviewFollowUp(int PullRequest, long ReviewId, string Branch, int Issue, string Title, string Instructions,
    IReadOnlyList<PullRequestReviewComment> Comments, string? Skip = null);

/// <summary>
/// Follow-ups on review (issue 13 item 8): a review with comments on the agent's own pull request (its head is
/// the agent's branch, <c>branchPrefix</c> + issue number) becomes a run on the same branch whose task is the
/// review's comments, each fenced as untrusted input; when the run finished, each thread it handled gets one
/// reply saying what changed, in which commit. Who may start this is the trust gate's business (write by
/// default); a review of any other pull request does nothing.
/// </summary>
public static class CoderFollowUp
{
    public const string ReplyMarker = "<!-- agentfactory:follow-up -->";

    public static bool IsReview(AgentJob job) => job.PayloadString("review.id") is not null && job.PayloadString("pull_request.number") is not null;

    public static async Task<ReviewFollowUp> LoadAsync(GitHubRepo repo, AgentJob job, string branchPrefix, CancellationToken ct)
    {
        var number = int.Parse(job.PayloadString("pull_request.number")!, CultureInfo.InvariantCulture);
        if (!long.TryParse(job.PayloadString("review.id"), CultureInfo.InvariantCulture, out var reviewId))
            throw new PermanentAgentException("The review's id (review.id) is not a number.");
        var pr = await repo.CallAsync($"reading pull request #{number}", c => c.PullRequest.Get(repo.Owner, repo.Name, number), ct);
        var branch = pr.Head?.Ref ?? "";
        var none = new ReviewFollowUp(number, reviewId, branch, 0, "", "", []);
        // Only the agent's own pull requests, from this repository (never a fork's branch of the same name).
        if (!branch.StartsWith(branchPrefix, StringComparison.Ordinal) || !int.TryParse(branch[branchPrefix.Length..], CultureInfo.InvariantCulture, out var issue)
            || !string.Equals(pr.Head?.Repository?.FullName, repo.FullName, StringComparison.OrdinalIgnoreCase))
            return none with { Skip = $"Review {reviewId} is on pull request #{number}, which is not one of this agent's ({branchPrefix}N): nothing to do." };
        // The agent's pull requests are opened with the service's credential: a review by that account is the service's own
        // (the code_review agent's), and following it up would start a loop of pushes and reviews.
        if (string.Equals(job.PayloadString("review.user.login"), pr.User?.Login, StringComparison.OrdinalIgnoreCase))
            return none with { Skip = $"Review {reviewId} on pull request #{number} is by the account that opened it (the service's own): nothing to do." };
        var comments = await repo.CallAsync($"reading the comments of review {reviewId}", c => c.PullRequest.Review.GetAllComments(repo.Owner, repo.Name, number, reviewId), ct);
        var body = job.PayloadString("review.body");
        if (comments.Count == 0 && string.IsNullOrWhiteSpace(body))
            return none with { Skip = $"Review {reviewId} on pull request #{number} has no comments: nothing to do." };

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"A reviewer (@{job.PayloadString("review.user.login") ?? "?"}) commented on your pull request #{number} for issue #{issue}. ");
        text.Append("Address each comment with a change on this branch, run the tests, and finish with a summary saying how each comment was addressed.\n\n");
        if (!string.IsNullOrWhiteSpace(body)) text.Append("The review:\n").Append(UntrustedText.Fence("review", body)).Append('\n');
        foreach (var comment in comments)
        {
            var hunk = comment.DiffHunk is { Length: > 0 } h ? h.Split('\n')[^Math.Min(6, h.Split('\n').Length)..] : [];
            text.Append(CultureInfo.InvariantCulture, $"\nComment {comment.Id} on {UntrustedText.Clean(comment.Path)}, at the end of this part of the diff:\n")
                .Append(UntrustedText.Fence("diff", string.Join('\n', hunk))).Append('\n')
                .Append(UntrustedText.Fence("review-comment", comment.Body)).Append('\n');
        }
        return new ReviewFollowUp(number, reviewId, branch, issue, UntrustedText.Clean(pr.Title ?? ""), text.ToString(), comments);
    }

    /// <summary>
    /// One reply per thread of the review, once: a thread already answered by an earlier attempt of this job (a
    /// "replied" step) is skipped. A run that did not finish answers nothing on the threads; it says why on the
    /// pull request instead. Returns how many threads were answered.
    /// </summary>
    public static async Task<int> ReplyAsync(GitHubRepo repo, ReviewFollowUp review, CodingOutcome outcome, string? head, IReadOnlyList<JobStep> steps,
        IStepRecorder recorder, CancellationToken ct)
    {
        if (outcome.End != CodingEnd.Finished)
        {
            var why = outcome.End == CodingEnd.BudgetEnded ? $"the {Models.BudgetExceededException.NameOf(outcome.Budget ?? Models.BudgetKind.WallClock)} budget ended" : "it could not finish";
            await repo.CallAsync($"commenting on pull request #{review.PullRequest}", c => c.Issue.Comment.Create(repo.Owner, repo.Name, review.PullRequest,
                $"I stopped working on review {review.ReviewId} because {why}: {outcome.Detail}\n\nThe work so far is pushed on {review.Branch}.\n\n{ReplyMarker}"), ct);
            return 0;
        }
        var done = steps.Where(s => s.Kind == StepKinds.Note && s.Name == "replied").Select(s => s.Input).ToHashSet(StringComparer.Ordinal);
        var sha = head is null ? "" : $" in {head[..Math.Min(7, head.Length)]}";
        var summary = outcome.Summary.Length > 3_000 ? outcome.Summary[..3_000] + "…" : outcome.Summary;
        var replied = 0;
        foreach (var comment in review.Comments.Where(c => c.InReplyToId is null))
        {
            var id = comment.Id.ToString(CultureInfo.InvariantCulture);
            if (done.Contains(id)) continue;
            await repo.CallAsync($"replying to review comment {id}", c => c.PullRequest.ReviewComment.CreateReply(repo.Owner, repo.Name, review.PullRequest,
                new PullRequestReviewCommentReplyCreate($"Addressed{sha}. {summary}\n\n{ReplyMarker}", comment.Id)), ct);
            await recorder.RecordAsync(new NewJobStep(StepKinds.Note, "replied", id, $"Replied to review comment {id}."), ct);
            replied++;
        }
        return replied;
    }
}
