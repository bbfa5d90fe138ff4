using System.Collections.Concurrent;
using AgentFactory.Agents;
using AgentFactory.GitHub;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Routing;

namespace AgentFactory.Orchestration.Tracking;

/// <summary>
/// One comment per job on its issue or pull request (issue.number / pull_request.number), for job types with
/// <c>trackingComment: true</c>: written when the agent starts and edited to each later state, ending in the final
/// one. Found again by its marker (<see cref="TrackingText.Marker"/>), so a retry, or another instance, edits the same
/// comment; with GITHUB_SERVICE_LOGIN set only a comment of the service's own account counts. A GitHub failure here is
/// logged and never fails the job.
/// </summary>
public sealed partial class TrackingComments(RoutingConfig routing, GitHubClients github, IJobStore store, TrackingProgress progress, TimeProvider time,
    ILogger<TrackingComments> log) : IJobLifecycle
{
    private const string Who = "tracking comment";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly ConcurrentDictionary<long, long> _commentIds = new();

    public async Task AttemptStartedAsync(JobRecord job, JobTypeSettings settings)
    {
        if (!settings.TrackingComment) return;
        await progress.StopAsync(job.Id); // a retry that starts ends the wait for it
        await WriteAsync(job, () => Task.FromResult<string?>(TrackingText.Started(job, settings)), final: false);
        await progress.FollowAsync(job, steps =>
            WriteAsync(job, () => Task.FromResult<string?>(TrackingText.Started(job, settings) + TrackingChecklist.Render(steps, running: true)), final: false));
    }

    public async Task AttemptEndedAsync(JobRecord job, AttemptOutcome outcome, Verdict verdict)
    {
        if (!routing.SettingsFor(job.JobType).TrackingComment) return;
        await progress.StopAsync(job.Id);
        if (outcome.End is AttemptEnd.Refused or AttemptEnd.LeaseLost) return; // Refused: the agent never started, so there is no comment
        async Task<string?> Text()
        {
            // The row has the last word: a job cancelled or superseded while its agent finished anyway is cancelled.
            var row = await store.GetJobAsync(job.Id, CancellationToken.None);
            var steps = TrackingChecklist.Render(await progress.StepsAsync(job, CancellationToken.None), running: false);
            if (row?.Status == JobStatus.Cancelled || outcome.End == AttemptEnd.Cancelled) return TrackingText.Cancelled(job, row?.Error) + steps;
            return outcome.End switch
            {
                AttemptEnd.Succeeded => TrackingText.Completed(job),
                AttemptEnd.ShuttingDown => TrackingText.Paused(job),
                _ when verdict.Decision == Decision.Retry => TrackingText.Retrying(job, outcome.Error, verdict.RetryAt),
                _ => TrackingText.Failed(job, outcome.Error),
            } + steps;
        }
        var final = verdict.Decision is Decision.Complete or Decision.Fail || outcome.End == AttemptEnd.Cancelled;
        await WriteAsync(job, Text, final);
        // Waiting for its retry, the job may be cancelled or superseded before it runs again: the comment says so then.
        if (verdict.Decision == Decision.Retry && outcome.End != AttemptEnd.Cancelled)
            await progress.WatchAsync(job, row => WriteAsync(job, () => Task.FromResult<string?>(TrackingText.Cancelled(job, row.Error)), final: true));
    }
    private async Task WriteAsync(JobRecord job, Func<Task<string?>> text, bool final)
    {
        var agentJob = new AgentJob(job);
        if (CommentRouting.NumberOf(agentJob.Payload) is not { } number || number is < 1 or > int.MaxValue) return;
        if (!github.Settings.Configured || agentJob.PayloadString("repository.full_name") is null) return;
        using var bound = new CancellationTokenSource(Bound, time);
        try
        {
            if (await text() is not { } body) return;
            var repo = await github.ForJobAsync(agentJob, Who, bound.Token);
            var id = _commentIds.TryGetValue(job.Id, out var known) ? known : await FindAsync(repo, (int)number, job.Id, bound.Token);
            if (id is { } existing && !await TryEditAsync(repo, existing, body, bound.Token)) id = null;
            id ??= (await repo.CallAsync($"writing the tracking comment on #{number}",
                c => c.Issue.Comment.Create(repo.Owner, repo.Name, (int)number, body), bound.Token)).Id;
            if (final) _commentIds.TryRemove(job.Id, out _);
            else _commentIds[job.Id] = id.Value;
        }
        catch (Exception e)
        {
            // Never the job's failure: the agent's work matters more than the report of it.
            LogFailed(log, job.Id, number, e.Message);
        }
    }

    /// <summary>The job's comment from an earlier attempt or instance: the newest starting with its marker, written by the service when its logins are known.</summary>
    private async Task<long?> FindAsync(GitHubRepo repo, int number, long jobId, CancellationToken ct)
    {
        var comments = await repo.CallAsync($"reading the comments of #{number}", c => c.Issue.Comment.GetAllForIssue(repo.Owner, repo.Name, number), ct);
        var own = github.Settings.ServiceLogins;
        return comments.LastOrDefault(c => TrackingText.IsFor(c.Body, jobId)
            && (own.Count == 0 || own.Contains(c.User?.Login ?? "", StringComparer.OrdinalIgnoreCase)))?.Id;
    }

    /// <summary>False when the comment is gone or not ours to edit (deleted, 404/403): a new one is written instead.</summary>
    private static async Task<bool> TryEditAsync(GitHubRepo repo, long id, string body, CancellationToken ct)
    {
        try
        {
            await repo.CallAsync("editing the tracking comment", c => c.Issue.Comment.Update(repo.Owner, repo.Name, id, body), ct);
            return true;
        }
        catch (PermanentAgentException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: could not write its tracking comment on #{Number}: {Reason}")]
    private static partial void LogFailed(ILogger logger, long jobId, long number, string reason);
}
