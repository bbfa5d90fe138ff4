using AgentFactory.Jobs;

namespace AgentFactory.Queue;

/// <summary>
/// The orchestrator's side: claim due jobs under a lease, keep the lease, and write each attempt's
/// outcome back. Every write-back is fenced on the lease, so a stale worker changes nothing.
/// </summary>
public interface IWorkerStore
{
    /// <summary>
    /// Claims up to <paramref name="limit"/> due pending jobs, highest priority first, then oldest,
    /// marking them running under a lease owned by <paramref name="owner"/>. Safe across instances.
    /// </summary>
    Task<IReadOnlyList<JobRecord>> ClaimAsync(string owner, int limit, TimeSpan leaseDuration, CancellationToken ct);

    /// <summary>
    /// Extends the given leases in one statement and says, for each, whether it is still held, was
    /// cancelled by an operator, or was lost (rescued after expiry, or the row is gone).
    /// </summary>
    Task<IReadOnlyDictionary<long, LeaseState>> RenewLeasesAsync(IReadOnlyCollection<JobLease> leases, TimeSpan leaseDuration, CancellationToken ct);

    /// <summary>Marks the attempt completed. False when the lease is no longer held.</summary>
    Task<bool> CompleteAsync(JobLease lease, string? output, CancellationToken ct);

    /// <summary>Keeps the attempt's error; back to pending at RetryAt, or failed when RetryAt is null. False when the lease is no longer held.</summary>
    Task<bool> FailAsync(JobLease lease, JobFailure failure, CancellationToken ct);

    /// <summary>Hands a running job back to the queue without counting the attempt (graceful shutdown).</summary>
    Task<bool> ReleaseAsync(JobLease lease, CancellationToken ct);
}

/// <summary>What a lease renewal found.</summary>
public enum LeaseState
{
    /// <summary>Renewed: the attempt goes on.</summary>
    Held,
    /// <summary>An operator cancelled the job: stop and write nothing.</summary>
    Cancelled,
    /// <summary>Another worker or the rescuer owns the row now (or it is gone): stop and write nothing.</summary>
    Lost,
}

/// <summary>
/// Wakes this process's orchestrator when another process commits work (PostgreSQL LISTEN/NOTIFY,
/// SQLite's data_version). Runs until cancelled; never throws for a lost connection, it reconnects.
/// </summary>
public interface IQueueChanges
{
    Task WatchAsync(CancellationToken ct);
}
