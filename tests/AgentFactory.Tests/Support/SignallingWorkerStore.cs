using AgentFactory.Jobs;
using AgentFactory.Queue;

namespace AgentFactory.Tests.Support;

/// <summary>The orchestrator's store with a pulse after every claim and write-back, so tests wait on job changes instead of polling.</summary>
public sealed class SignallingWorkerStore(IWorkerStore inner, Pulse changed) : IWorkerStore
{
    public async Task<IReadOnlyList<JobRecord>> ClaimAsync(string owner, int limit, TimeSpan leaseDuration, CancellationToken ct) =>
        Fire(await inner.ClaimAsync(owner, limit, leaseDuration, ct));

    public async Task<IReadOnlyDictionary<long, LeaseState>> RenewLeasesAsync(IReadOnlyCollection<JobLease> leases, TimeSpan leaseDuration, CancellationToken ct) =>
        await inner.RenewLeasesAsync(leases, leaseDuration, ct);

    public async Task<bool> CompleteAsync(JobLease lease, string? output, CancellationToken ct) => Fire(await inner.CompleteAsync(lease, output, ct));

    public async Task<bool> FailAsync(JobLease lease, JobFailure failure, CancellationToken ct) => Fire(await inner.FailAsync(lease, failure, ct));

    public async Task<bool> ReleaseAsync(JobLease lease, CancellationToken ct) => Fire(await inner.ReleaseAsync(lease, ct));

    private T Fire<T>(T result)
    {
        changed.Fire();
        return result;
    }
}
