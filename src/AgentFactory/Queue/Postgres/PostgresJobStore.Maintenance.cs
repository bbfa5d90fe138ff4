using NpgsqlTypes;
using static AgentFactory.Queue.Postgres.PostgresRows;

namespace AgentFactory.Queue.Postgres;

/// <summary>IMaintenanceStore: migrations, rescue, heartbeats, retention and the exclusive-run lock.</summary>
public sealed partial class PostgresJobStore
{
    public Task MigrateAsync(CancellationToken ct) => InTransactionAsync(async (conn, tx) =>
    {
        await ExecAsync(conn, tx, SqlScripts.Get(Driver, "schema_migrations"), ct);
        var applied = new HashSet<int>();
        await using (var cmd = Command(conn, tx, "applied_migrations"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) applied.Add(r.GetInt32(0));
        foreach (var (version, name, sql) in SqlScripts.Migrations(Driver))
        {
            if (applied.Contains(version)) continue;
            await ExecAsync(conn, tx, sql, ct);
            await using var mark = Command(conn, tx, "mark_migration");
            mark.Parameters.Add(P("version", NpgsqlDbType.Integer, version));
            mark.Parameters.Add(P("name", NpgsqlDbType.Text, name));
            mark.Parameters.Add(Time("now", _time.GetUtcNow()));
            await mark.ExecuteNonQueryAsync(ct);
        }
        return 0;
    }, ct);

    public async Task<int> RescueExpiredAsync(CancellationToken ct)
    {
        var n = await RunAsync(async conn =>
        {
            var now = _time.GetUtcNow();
            await using var cmd = Command(conn, null, "rescue_expired");
            cmd.Parameters.Add(Time("now", now));
            cmd.Parameters.Add(P("at", NpgsqlDbType.Text, StoreRows.Ts(now)));
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);
        if (n > 0) _signal.Notify();
        return n;
    }

    public Task RecordHeartbeatAsync(string instance, string detailsJson, CancellationToken ct) => RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "heartbeat");
        cmd.Parameters.Add(P("instance", NpgsqlDbType.Text, instance));
        cmd.Parameters.Add(Time("now", _time.GetUtcNow()));
        cmd.Parameters.Add(P("payload", NpgsqlDbType.Jsonb, JsonbText.Sanitize(detailsJson)));
        return await cmd.ExecuteNonQueryAsync(ct);
    }, ct);

    public Task RemoveHeartbeatAsync(string instance, CancellationToken ct) => RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "remove_heartbeat");
        cmd.Parameters.Add(P("instance", NpgsqlDbType.Text, instance));
        return await cmd.ExecuteNonQueryAsync(ct);
    }, ct);

    public Task<int> PruneHeartbeatsAsync(DateTimeOffset before, CancellationToken ct) => RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "prune_heartbeats");
        cmd.Parameters.Add(Time("before", before));
        return await cmd.ExecuteNonQueryAsync(ct);
    }, ct);

    /// <summary>
    /// Runs <paramref name="work"/> while holding the session advisory lock <paramref name="key"/>, so
    /// that one instance at a time does it; false (without running it) when another instance holds it.
    /// </summary>
    public Task<bool> TryRunExclusiveAsync(long key, Func<CancellationToken, Task> work, CancellationToken ct) => RunAsync(async conn =>
    {
        await using (var take = Command(conn, null, "session_lock"))
        {
            take.Parameters.Add(P("key", NpgsqlDbType.Bigint, key));
            if (await take.ExecuteScalarAsync(ct) is not true) return false;
        }
        try
        {
            await work(ct);
        }
        finally
        {
            await using var release = Command(conn, null, "session_unlock");
            release.Parameters.Add(P("key", NpgsqlDbType.Bigint, key));
            await release.ExecuteScalarAsync(CancellationToken.None);
        }
        return true;
    }, ct);

    public Task<int> PruneAsync(DateTimeOffset completedBefore, DateTimeOffset eventsBefore, CancellationToken ct) => InTransactionAsync(async (conn, tx) =>
    {
        await using (var lockCmd = Command(conn, tx, "prune_lock"))
            if (await lockCmd.ExecuteScalarAsync(ct) is not true) return 0;
        await using var cmd = Command(conn, tx, "prune");
        cmd.Parameters.Add(Time("completed_before", completedBefore));
        cmd.Parameters.Add(Time("events_before", eventsBefore));
        return await cmd.ExecuteNonQueryAsync(ct);
    }, ct);
}
