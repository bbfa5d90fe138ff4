using AgentFactory.Events;
using AgentFactory.Jobs;

namespace AgentFactory.Queue;

/// <summary>
/// The storage seam: everything the service keeps goes through these methods, implemented once for
/// SQLite and once for PostgreSQL and held to the same contract suite. Implementations translate
/// their provider's connection errors into <see cref="StoreUnavailableException"/>.
/// </summary>
public interface IJobStore
{
    /// <summary>Applies pending schema migrations; safe to call from several instances at once.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>Throws <see cref="StoreUnavailableException"/> when the database cannot be reached.</summary>
    Task PingAsync(CancellationToken ct);

    /// <summary>
    /// Records deliveries and inserts their jobs, all in one transaction (group commit: concurrent
    /// requests share one durable write). A delivery whose (hook id, delivery id) is already stored —
    /// or appears earlier in the same batch — changes nothing and is reported as a duplicate.
    /// Returns one result per delivery, in order, only after commit.
    /// </summary>
    Task<IReadOnlyList<DeliveryResult>> RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct);

    /// <summary>
    /// How many <see cref="RecordDeliveriesAsync"/> transactions ingest keeps in flight at once: one for a
    /// store with a single writer (more would only split the batches), several where commits run side by side.
    /// </summary>
    int IngestWriters => 1;

    Task<long> EnqueueAsync(NewJob job, CancellationToken ct);

    /// <summary>
    /// Claims up to <paramref name="limit"/> due pending jobs, highest priority first, then oldest,
    /// marking them running under a lease owned by <paramref name="owner"/>. Safe across instances.
    /// </summary>
    Task<IReadOnlyList<JobRecord>> ClaimAsync(string owner, int limit, TimeSpan leaseDuration, CancellationToken ct);

    /// <summary>Extends the given leases; returns the ids whose lease is still held (the rest were lost or cancelled).</summary>
    Task<IReadOnlySet<long>> RenewLeasesAsync(IReadOnlyCollection<JobLease> leases, TimeSpan leaseDuration, CancellationToken ct);

    /// <summary>Marks the attempt completed. False when the lease is no longer held.</summary>
    Task<bool> CompleteAsync(JobLease lease, string? output, CancellationToken ct);

    /// <summary>Keeps the attempt's error; back to pending at RetryAt, or failed when RetryAt is null. False when the lease is no longer held.</summary>
    Task<bool> FailAsync(JobLease lease, JobFailure failure, CancellationToken ct);

    /// <summary>Hands a running job back to the queue without counting the attempt (graceful shutdown).</summary>
    Task<bool> ReleaseAsync(JobLease lease, CancellationToken ct);

    /// <summary>
    /// Running jobs whose lease expired (their worker died) go back to pending for another attempt,
    /// or to failed when they used their last one. Returns how many were rescued.
    /// </summary>
    Task<int> RescueExpiredAsync(CancellationToken ct);

    /// <summary>Upserts this instance's heartbeat row in webhook_events (one row per instance).</summary>
    Task RecordHeartbeatAsync(string instance, string detailsJson, CancellationToken ct);

    Task<HeartbeatRecord?> GetLastHeartbeatAsync(CancellationToken ct);

    Task<JobRecord?> GetJobAsync(long id, CancellationToken ct);

    Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobQuery query, CancellationToken ct);

    /// <summary>Failed or cancelled → pending now, with a fresh set of attempts (errors are kept). False if not in such a state.</summary>
    Task<bool> RetryJobAsync(long id, CancellationToken ct);

    /// <summary>Pending or running → cancelled. A running job's worker notices at its next lease renewal. False if already finished.</summary>
    Task<bool> CancelJobAsync(long id, CancellationToken ct);

    Task<IReadOnlyList<WebhookEventRecord>> ListEventsAsync(EventQuery query, CancellationToken ct);

    Task<IReadOnlyDictionary<JobStatus, long>> CountJobsByStatusAsync(CancellationToken ct);

    /// <summary>
    /// Housekeeping: deletes completed and cancelled jobs that finished before <paramref name="completedBefore"/>,
    /// and webhook_events received before <paramref name="eventsBefore"/> that no remaining job references
    /// (a heartbeat row goes when its instance stopped refreshing it that long ago). Failed jobs are kept until someone acts on them.
    /// DateTimeOffset.MinValue keeps everything of that kind. Returns the number of rows deleted.
    /// </summary>
    Task<int> PruneAsync(DateTimeOffset completedBefore, DateTimeOffset eventsBefore, CancellationToken ct);

    // Operator views: the dashboard, its API and `agentfactory stats`.

    /// <summary>How many jobs of each job type are in each status; only pairs with at least one job.</summary>
    Task<IReadOnlyList<JobTypeCount>> CountJobsByTypeAsync(CancellationToken ct);

    /// <summary>
    /// Jobs that ended completed or failed (not cancelled) with completed_at at or after
    /// <paramref name="since"/>, counted per bucket: bucket k covers [since + k·bucket, since + (k+1)·bucket).
    /// <paramref name="bucket"/> is whole seconds, at least one. Only non-empty buckets, in time order.
    /// </summary>
    Task<IReadOnlyList<FinishedJobsBucket>> CountFinishedJobsAsync(DateTimeOffset since, TimeSpan bucket, CancellationToken ct);

    /// <summary>For each given event id, the ids of the jobs it produced (ascending); events without jobs are left out.</summary>
    Task<IReadOnlyDictionary<long, IReadOnlyList<long>>> ListJobIdsByEventAsync(IReadOnlyCollection<long> eventIds, CancellationToken ct);

    /// <summary>
    /// Which of the given delivery ids (X-GitHub-Delivery) are stored in webhook_events for the hook
    /// <paramref name="hookId"/> or with no hook id (a proxy that dropped X-GitHub-Hook-ID);
    /// a null <paramref name="hookId"/> matches any hook. Used to find deliveries GitHub should redeliver.
    /// </summary>
    Task<IReadOnlySet<string>> FindStoredDeliveriesAsync(string? hookId, IReadOnlyCollection<string> deliveryIds, CancellationToken ct);
}

/// <summary>A delivery and the jobs routing made of it.</summary>
public sealed record DeliveryRecord(NewWebhookEvent Delivery, IReadOnlyList<NewJob> Jobs);

public static class JobStoreExtensions
{
    /// <summary>Records one delivery and its jobs in one transaction (see <see cref="IJobStore.RecordDeliveriesAsync"/>).</summary>
    public static async Task<DeliveryResult> RecordDeliveryAsync(this IJobStore store, NewWebhookEvent delivery, IReadOnlyList<NewJob> jobs, CancellationToken ct) =>
        (await store.RecordDeliveriesAsync([new DeliveryRecord(delivery, jobs)], ct))[0];
}

/// <summary>The database cannot be reached or refused the operation for a reason outside the caller's control.</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException() { }
    public StoreUnavailableException(string message) : base(message) { }
    public StoreUnavailableException(string message, Exception inner) : base(message, inner) { }
}
