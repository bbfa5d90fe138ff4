using System.Data.Common;
using System.Globalization;
using AgentFactory.Jobs;
using Microsoft.Data.Sqlite;

namespace AgentFactory.Queue.Sqlite;

/// <summary>
/// The embedded queue: one SQLite file in WAL mode. Writes are serialized in-process (SQLite has one
/// writer) and use BEGIN IMMEDIATE so other processes on the same file wait instead of failing;
/// commits are fully synchronous, so an acknowledged delivery survives a crash.
/// </summary>
public sealed partial class SqliteJobStore : IJobStore, IDisposable
{
    private const string Driver = "Sqlite";

    private readonly string _path;
    private readonly string _connectionString;

    private readonly TimeProvider _time;

    private readonly QueueSignal _signal;

    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private readonly WriteCoalescer<(JobLease Lease, string? Output), bool> _completions;

    public SqliteJobStore(string path, TimeProvider time, QueueSignal signal)
    {
        _path = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(_path)!;
        try
        {
            Hosting.SettingsLoader.CreatePrivateDirectory(directory);
            CreateOwnerOnlyFiles(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreUnavailableException($"Cannot create the data directory {directory} ({e.Message}). Set AGENTFACTORY_DATA_DIR to a writable directory.", e);
        }
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _time = time;
        _signal = signal;
        _completions = new(c => c.Lease.JobId, CompleteBatchAsync);
    }

    /// <summary>
    /// The database and its -wal and -shm are 0600 whatever existed before: SQLite creates a new file
    /// 0644 (less the umask) and gives -wal/-shm the database's mode, so the database is created empty
    /// 0600 here first, and any of the three left wider by an earlier version is narrowed.
    /// </summary>
    private static void CreateOwnerOnlyFiles(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode ReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (!File.Exists(path))
        {
            try
            {
                using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = ReadWrite });
            }
            catch (IOException) when (File.Exists(path)) { /* another process created it first: narrowed below */ }
        }
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            if (File.Exists(file)) Hosting.SettingsLoader.MakeOwnerOnly(file, ReadWrite, "database file");
    }

    /// <summary>How many completion transactions have run; fewer than completions means they were coalesced.</summary>
    internal long CompletionBatches => _completions.Batches;

    public void Dispose() => _writeLock.Dispose();

    /// <summary>Has any connection committed since the last call? Lets a separate process notice new jobs cheaply.</summary>
    public async Task<long> DataVersionAsync(SqliteConnection conn, CancellationToken ct)
    {
        await using var cmd = Command(conn, null, "PRAGMA data_version");
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    public SqliteConnection OpenConnection()
    {
        var conn = new SqliteConnection(_connectionString);
        conn.Open();
        using var cmd = conn.CreateCommand();
        // Per-connection settings only; WAL is persistent and set once in MigrateAsync.
        cmd.CommandText = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;";
        cmd.ExecuteNonQuery();
        return conn;
    }

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await using var conn = OpenConnection();
            await using var tx = conn.BeginTransaction(deferred: false);
            var result = await work(conn, tx);
            await tx.CommitAsync(ct);
            return result;
        }
        catch (SqliteException e)
        {
            throw new StoreUnavailableException($"The SQLite queue failed: {e.Message}", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        try
        {
            await using var conn = OpenConnection();
            return await work(conn);
        }
        catch (SqliteException e)
        {
            throw new StoreUnavailableException($"The SQLite queue failed: {e.Message}", e);
        }
    }

    private static SqliteCommand Command(SqliteConnection conn, SqliteTransaction? tx, string sql)
    {
        var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd;
    }

    private static SqliteCommand LeaseCommand(SqliteConnection conn, SqliteTransaction tx, string script, JobLease lease)
    {
        var cmd = Command(conn, tx, SqlScripts.Get(Driver, script));
        cmd.Parameters.AddWithValue("@id", lease.JobId);
        cmd.Parameters.AddWithValue("@owner", lease.Owner);
        cmd.Parameters.AddWithValue("@attempt", lease.Attempt);
        return cmd;
    }

    private static async Task ExecAsync(SqliteConnection conn, SqliteTransaction tx, string sql)
    {
        await using var cmd = Command(conn, tx, sql);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<List<JobRecord>> ReadJobsAsync(SqliteCommand cmd, CancellationToken ct)
    {
        var list = new List<JobRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(ReadJob(r));
        return list;
    }

    private static JobRecord ReadJob(DbDataReader r) => new(
        Id: r.GetInt64(r.GetOrdinal("id")),
        JobType: r.GetString(r.GetOrdinal("job_type")),
        Payload: r.GetString(r.GetOrdinal("payload")),
        Status: JobStatusNames.Parse(r.GetString(r.GetOrdinal("status"))),
        Priority: r.GetInt32(r.GetOrdinal("priority")),
        Attempt: r.GetInt32(r.GetOrdinal("attempt")),
        MaxAttempts: r.GetInt32(r.GetOrdinal("max_attempts")),
        CreatedAt: ParseTs(r.GetString(r.GetOrdinal("created_at"))),
        ScheduledAt: ParseTs(r.GetString(r.GetOrdinal("scheduled_at"))),
        StartedAt: NullableTs(r, "started_at"),
        CompletedAt: NullableTs(r, "completed_at"),
        Error: NullableString(r, "error"),
        Errors: StoreRows.ParseErrors(r.GetString(r.GetOrdinal("errors"))),
        Output: NullableString(r, "output"),
        LeaseOwner: NullableString(r, "lease_owner"),
        LeaseExpiresAt: NullableTs(r, "lease_expires_at"),
        EventId: r.IsDBNull(r.GetOrdinal("event_id")) ? null : r.GetInt64(r.GetOrdinal("event_id")),
        Concurrency: JobConcurrency.FromRow(NullableString(r, "concurrency_key"), NullableString(r, "concurrency_mode")));

    private static string? NullableString(DbDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : r.GetString(i);
    }

    private static DateTimeOffset? NullableTs(DbDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : ParseTs(r.GetString(i));
    }

    internal static string Ts(DateTimeOffset t) => StoreRows.Ts(t);

    internal static DateTimeOffset ParseTs(string s) => StoreRows.ParseTs(s);
}
