using AgentFactory.Events;
using AgentFactory.Jobs;

namespace AgentFactory.Queue;

/// <summary>What operators read and act on: the dashboard, its API, /health and the CLI.</summary>
public interface IOperatorViews
{
    Task<JobRecord?> GetJobAsync(long id, CancellationToken ct);

    Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobQuery query, CancellationToken ct);

    /// <summary>Failed or cancelled → pending now, with a fresh set of attempts (errors are kept). False if not in such a state.</summary>
    Task<bool> RetryJobAsync(long id, CancellationToken ct);

    /// <summary>Pending or running → cancelled. A running job's worker notices at its next lease renewal. False if already finished.</summary>
    Task<bool> CancelJobAsync(long id, CancellationToken ct);

    Task<IReadOnlyList<WebhookEventRecord>> ListEventsAsync(EventQuery query, CancellationToken ct);

    Task<HeartbeatRecord?> GetLastHeartbeatAsync(CancellationToken ct);

    Task<IReadOnlyDictionary<JobStatus, long>> CountJobsByStatusAsync(CancellationToken ct);

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
}
