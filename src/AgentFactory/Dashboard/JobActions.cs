using AgentFactory.Jobs;
using AgentFactory.Queue;

namespace AgentFactory.Dashboard;

/// <summary>The operator's retry, cancel and requeue, shared by the admin API and the CLI.</summary>
public static class JobActions
{
    public enum Outcome { Done, NotFound, WrongState }

    /// <summary>Which statuses each action accepts, for messages.</summary>
    public const string RetryFrom = "failed or cancelled";
    public const string CancelFrom = "pending or running";
    public const string RequeueFrom = "completed";

    public static async Task<(Outcome Outcome, JobRecord? Job)> RetryAsync(IOperatorViews store, long id, CancellationToken ct) =>
        await store.RetryJobAsync(id, ct) ? (Outcome.Done, await store.GetJobAsync(id, ct)) : await WhyNotAsync(store, id, ct);

    public static async Task<(Outcome Outcome, JobRecord? Job)> CancelAsync(IOperatorViews store, long id, CancellationToken ct) =>
        await store.CancelJobAsync(id, ct) ? (Outcome.Done, await store.GetJobAsync(id, ct)) : await WhyNotAsync(store, id, ct);

    /// <summary>
    /// A completed job queued again as a new job with the same type, payload, priority and attempts.
    /// A completed row never changes again, so reading it and then enqueueing needs no transaction.
    /// Returns the original job and, when done, the new job's id.
    /// </summary>
    public static async Task<(Outcome Outcome, JobRecord? Job, long NewId)> RequeueAsync(IOperatorViews store, IDeliveryStore queue, long id, CancellationToken ct)
    {
        var job = await store.GetJobAsync(id, ct);
        if (job is null) return (Outcome.NotFound, null, 0);
        if (job.Status != JobStatus.Completed) return (Outcome.WrongState, job, 0);
        var newId = await queue.EnqueueAsync(new NewJob(job.JobType, job.Payload, job.Priority, job.MaxAttempts, Concurrency: job.Concurrency), ct);
        return (Outcome.Done, job, newId);
    }

    private static async Task<(Outcome, JobRecord?)> WhyNotAsync(IOperatorViews store, long id, CancellationToken ct) =>
        await store.GetJobAsync(id, ct) is { } job ? (Outcome.WrongState, job) : (Outcome.NotFound, null);
}
