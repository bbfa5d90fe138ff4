using Microsoft.Data.Sqlite;

namespace AgentFactory.Queue.Sqlite;

/// <summary>IMaintenanceStore: migrations, rescue, heartbeats, retention and the exclusive-run lock.</summary>
public sealed partial class SqliteJobStore
{
    public async Task MigrateAsync(CancellationToken ct)
    {
        try
        {
            await using var wal = OpenConnection();
            await using var pragma = Command(wal, null, "PRAGMA journal_mode = WAL");
            await pragma.ExecuteNonQueryAsync(ct);
        }
        catch (SqliteException e)
        {
            throw new StoreUnavailableException($"The SQLite queue failed: {e.Message}", e);
        }
        await WriteAsync(async (conn, tx) =>
        {
            await ExecAsync(conn, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
            var applied = new HashSet<int>();
            await using (var cmd = Command(conn, tx, "SELECT version FROM schema_migrations"))
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct)) applied.Add(r.GetInt32(0));
            foreach (var (version, name, sql) in SqlScripts.Migrations(Driver))
            {
                if (applied.Contains(version)) continue;
                await ExecAsync(conn, tx, sql);
                await using var mark = Command(conn, tx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @now)");
                mark.Parameters.AddWithValue("@v", version);
                mark.Parameters.AddWithValue("@n", name);
                mark.Parameters.AddWithValue("@now", Ts(_time.GetUtcNow()));
                await mark.ExecuteNonQueryAsync(ct);
            }
            return 0;
        }, ct);
    }

    public async Task<int> RescueExpiredAsync(CancellationToken ct)
    {
        var n = await WriteAsync(async (conn, tx) =>
        {
            await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "rescue_expired"));
            cmd.Parameters.AddWithValue("@now", Ts(_time.GetUtcNow()));
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);
        if (n > 0) _signal.Notify();
        return n;
    }

    public Task RecordHeartbeatAsync(string instance, string detailsJson, CancellationToken ct) =>
        WriteAsync(async (conn, tx) =>
        {
            await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "heartbeat"));
            cmd.Parameters.AddWithValue("@instance", instance);
            cmd.Parameters.AddWithValue("@now", Ts(_time.GetUtcNow()));
            cmd.Parameters.AddWithValue("@payload", detailsJson);
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task RemoveHeartbeatAsync(string instance, CancellationToken ct) =>
        WriteAsync(async (conn, tx) =>
        {
            await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "remove_heartbeat"));
            cmd.Parameters.AddWithValue("@instance", instance);
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task<int> PruneHeartbeatsAsync(DateTimeOffset before, CancellationToken ct) =>
        WriteAsync(async (conn, tx) =>
        {
            await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "prune_heartbeats"));
            cmd.Parameters.AddWithValue("@before", Ts(before));
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task<int> PruneAsync(DateTimeOffset completedBefore, DateTimeOffset eventsBefore, CancellationToken ct) =>
        WriteAsync(async (conn, tx) =>
        {
            await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "prune"));
            cmd.Parameters.AddWithValue("@completed_before", Ts(completedBefore));
            cmd.Parameters.AddWithValue("@events_before", Ts(eventsBefore));
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);

    /// <summary>
    /// An OS lock on a file beside the database (flock through FileShare.None): exclusive across every
    /// process on this file, and released by the kernel when its holder dies.
    /// </summary>
    public async Task<bool> TryRunExclusiveAsync(long key, Func<CancellationToken, Task> work, CancellationToken ct)
    {
        FileStream held;
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
#pragma warning disable CA2000 // the lock is held until the exclusive work ends, then disposed
            held = new FileStream($"{_path}.lock-{key}", options);
#pragma warning restore CA2000
        }
        catch (IOException)
        {
            return false;
        }
        await using (held)
        {
            await work(ct);
        }
        return true;
    }
}
