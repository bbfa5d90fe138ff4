using System.Text.Json;
using AgentFactory.Jobs;

namespace AgentFactory.Queue.Sqlite;

/// <summary>IWorkerStore: claim, lease renewal and fenced write-backs.</summary>
public sealed partial class SqliteJobStore
{
    public Task<IReadOnlyList<JobRecord>> ClaimAsync(string owner, int limit, TimeSpan leaseDuration, CancellationToken ct) =>
        WriteAsync<IReadOnlyList<JobRecord>>(async (conn, tx) =>
        {
            var now = _time.GetUtcNow();
            await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "claim"));
            cmd.Parameters.AddWithValue("@now", Ts(now));
            cmd.Parameters.AddWithValue("@owner", owner);
            cmd.Parameters.AddWithValue("@lease_expires_at", Ts(now + leaseDuration));
            cmd.Parameters.AddWithValue("@limit", limit);
            var jobs = await ReadJobsAsync(cmd, ct);
            jobs.Sort((a, b) => a.Priority != b.Priority ? b.Priority.CompareTo(a.Priority) : a.Id.CompareTo(b.Id));
            return jobs;
        }, ct);

    public Task<IReadOnlyDictionary<long, LeaseState>> RenewLeasesAsync(IReadOnlyCollection<JobLease> leases, TimeSpan leaseDuration, CancellationToken ct) =>
        WriteAsync<IReadOnlyDictionary<long, LeaseState>>(async (conn, tx) =>
        {
            var states = new Dictionary<long, LeaseState>();
            if (leases.Count == 0) return states;
            var json = JsonSerializer.Serialize(leases.Select(l => new { id = l.JobId, owner = l.Owner, attempt = l.Attempt }));
            await using (var renew = Command(conn, tx, SqlScripts.Get(Driver, "renew_leases")))
            {
                renew.Parameters.AddWithValue("@leases", json);
                renew.Parameters.AddWithValue("@lease_expires_at", Ts(_time.GetUtcNow() + leaseDuration));
                await renew.ExecuteNonQueryAsync(ct);
            }
            await using var read = Command(conn, tx, SqlScripts.Get(Driver, "lease_states"));
            read.Parameters.AddWithValue("@leases", json);
            await using var r = await read.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) states[r.GetInt64(0)] = StoreRows.ParseLeaseState(r.GetString(1));
            return states;
        }, ct);

    /// <summary>
    /// Completions that arrive while one is being committed share the next transaction (one fsync for
    /// many jobs), as deliveries do at ingest; each still gets its own fenced answer.
    /// </summary>
    public Task<bool> CompleteAsync(JobLease lease, string? output, CancellationToken ct) => _completions.WriteAsync((lease, output), ct);

    private Task<IReadOnlyList<bool>> CompleteBatchAsync(IReadOnlyList<(JobLease Lease, string? Output)> batch) =>
        WriteAsync<IReadOnlyList<bool>>(async (conn, tx) =>
        {
            // One statement, prepared once, bound again for each completion of the batch.
            await using var cmd = LeaseCommand(conn, tx, "complete", batch[0].Lease);
            cmd.Parameters.AddWithValue("@now", Ts(_time.GetUtcNow()));
            var output = cmd.Parameters.AddWithValue("@output", DBNull.Value);
            var held = new List<bool>(batch.Count);
            foreach (var (lease, text) in batch)
            {
                cmd.Parameters["@id"].Value = lease.JobId;
                cmd.Parameters["@owner"].Value = lease.Owner;
                cmd.Parameters["@attempt"].Value = lease.Attempt;
                output.Value = (object?)text ?? DBNull.Value;
                held.Add(await cmd.ExecuteNonQueryAsync(CancellationToken.None) == 1);
            }
            return held;
        }, CancellationToken.None);

    public async Task<bool> FailAsync(JobLease lease, JobFailure failure, CancellationToken ct)
    {
        var ok = await WriteAsync(async (conn, tx) =>
        {
            await using var cmd = LeaseCommand(conn, tx, "fail", lease);
            cmd.Parameters.AddWithValue("@now", Ts(_time.GetUtcNow()));
            cmd.Parameters.AddWithValue("@error", failure.Error);
            cmd.Parameters.AddWithValue("@output", (object?)failure.Output ?? DBNull.Value);
            cmd.Parameters.AddWithValue("@retry_at", failure.RetryAt is { } at ? Ts(at) : DBNull.Value);
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }, ct);
        return ok;
    }

    public async Task<bool> ReleaseAsync(JobLease lease, CancellationToken ct)
    {
        var ok = await WriteAsync(async (conn, tx) =>
        {
            await using var cmd = LeaseCommand(conn, tx, "release", lease);
            cmd.Parameters.AddWithValue("@now", Ts(_time.GetUtcNow()));
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }, ct);
        if (ok) _signal.Notify();
        return ok;
    }
}
