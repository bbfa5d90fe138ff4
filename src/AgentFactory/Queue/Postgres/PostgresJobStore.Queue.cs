using System.Data;
using AgentFactory.Jobs;
using Npgsql;
using NpgsqlTypes;
using static AgentFactory.Queue.Postgres.PostgresRows;

namespace AgentFactory.Queue.Postgres;

/// <summary>IWorkerStore: claim, lease renewal and fenced write-backs.</summary>
public sealed partial class PostgresJobStore
{
    public Task<IReadOnlyList<JobRecord>> ClaimAsync(string owner, int limit, TimeSpan leaseDuration, CancellationToken ct) =>
        RunAsync<IReadOnlyList<JobRecord>>(async conn =>
        {
            var now = _time.GetUtcNow();
            List<JobRecord> jobs;
            for (var attempt = 1; ; attempt++)
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                try
                {
                    await ExecAsync(conn, tx, SqlScripts.Get(Driver, "claim_plan"), ct); // the plan: see claim_plan.sql
                    await using var cmd = Command(conn, tx, "claim");
                    cmd.Parameters.Add(Time("now", now));
                    cmd.Parameters.Add(P("owner", NpgsqlDbType.Text, owner));
                    cmd.Parameters.Add(Time("lease_expires_at", now + leaseDuration));
                    cmd.Parameters.Add(P("limit", NpgsqlDbType.Integer, limit));
                    jobs = await ReadJobsAsync(cmd, ct);
                    await tx.CommitAsync(ct);
                    break;
                }
                catch (PostgresException e) when (attempt < 5 && e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected)
                {
                    await tx.RollbackAsync(ct);
                    // agent_jobs_serialize_running refused a second running job of one serialize key (a row queued by
                    // hand, outside the key lock), or two claims crossed on it: the claim claimed nothing; try again.
                }
            }
            jobs.Sort((a, b) => a.Priority != b.Priority ? b.Priority.CompareTo(a.Priority) : a.Id.CompareTo(b.Id));
            return jobs;
        }, ct);

    public async Task<IReadOnlyDictionary<long, LeaseState>> RenewLeasesAsync(IReadOnlyCollection<JobLease> leases, TimeSpan leaseDuration, CancellationToken ct)
    {
        if (leases.Count == 0) return new Dictionary<long, LeaseState>();
        return await RunAsync<IReadOnlyDictionary<long, LeaseState>>(async conn =>
        {
            await using var cmd = Command(conn, null, "renew_leases");
            AddLeases(cmd, [.. leases]);
            cmd.Parameters.Add(Time("lease_expires_at", _time.GetUtcNow() + leaseDuration));
            var states = new Dictionary<long, LeaseState>();
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) states[r.GetInt64(0)] = StoreRows.ParseLeaseState(r.GetString(1));
            return states;
        }, ct);
    }

    /// <summary>Joins whatever completions are in flight: one UPDATE … FROM unnest(…) for all of them.</summary>
    public Task<bool> CompleteAsync(JobLease lease, string? output, CancellationToken ct) => _completions.WriteAsync((lease, output), ct);

    private async Task<IReadOnlyList<bool>> CompleteBatchAsync(IReadOnlyList<(JobLease Lease, string? Output)> batch)
    {
        var done = await RunAsync(async conn =>
        {
            await using var cmd = Command(conn, null, "complete_many");
            AddLeases(cmd, [.. batch.Select(b => b.Lease)]);
            cmd.Parameters.Add(P("outputs", NpgsqlDbType.Array | NpgsqlDbType.Text, batch.Select(b => b.Output).ToArray()));
            cmd.Parameters.Add(Time("now", _time.GetUtcNow()));
            return await ReadIdsAsync(cmd, CancellationToken.None);
        }, CancellationToken.None);
        return [.. batch.Select(b => done.Contains(b.Lease.JobId))];
    }

    public Task<bool> FailAsync(JobLease lease, JobFailure failure, CancellationToken ct) => RunAsync(async conn =>
    {
        var now = _time.GetUtcNow();
        await using var cmd = LeaseCommand(conn, "fail", lease);
        cmd.Parameters.Add(Time("now", now));
        cmd.Parameters.Add(P("at", NpgsqlDbType.Text, StoreRows.Ts(now)));
        cmd.Parameters.Add(P("error", NpgsqlDbType.Text, failure.Error));
        cmd.Parameters.Add(P("output", NpgsqlDbType.Text, failure.Output));
        cmd.Parameters.Add(P("retry_at", NpgsqlDbType.TimestampTz, failure.RetryAt?.UtcDateTime));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, ct);

    public async Task<bool> ReleaseAsync(JobLease lease, CancellationToken ct)
    {
        var ok = await RunAsync(async conn =>
        {
            await using var cmd = LeaseCommand(conn, "release", lease);
            cmd.Parameters.Add(Time("now", _time.GetUtcNow()));
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }, ct);
        if (ok) _signal.Notify();
        return ok;
    }
}
