using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using AgentFactory.Events;
using AgentFactory.Jobs;
using Microsoft.Data.Sqlite;

namespace AgentFactory.Queue.Sqlite;

/// <summary>
/// The embedded queue: one SQLite file in WAL mode. Writes are serialized in-process (SQLite has one
/// writer) and use BEGIN IMMEDIATE so other processes on the same file wait instead of failing;
/// commits are fully synchronous, so an acknowledged delivery survives a crash.
/// </summary>
public sealed class SqliteJobStore : IJobStore, IDisposable
{
    private const string Driver = "Sqlite";
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly QueueSignal _signal;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly WriteCoalescer<(JobLease Lease, string? Output), bool> _completions;

    public SqliteJobStore(string path, TimeProvider time, QueueSignal signal)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try
        {
            Hosting.SettingsLoader.CreatePrivateDirectory(directory);
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

    /// <summary>How many completion transactions have run; fewer than completions means they were coalesced.</summary>
    internal long CompletionBatches => _completions.Batches;

    public void Dispose() => _writeLock.Dispose();

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

    public Task PingAsync(CancellationToken ct) => ReadAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "SELECT COUNT(*) FROM schema_migrations");
        return await cmd.ExecuteScalarAsync(ct);
    }, ct);

    public async Task<IReadOnlyList<DeliveryResult>> RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct)
    {
        var results = await WriteAsync<IReadOnlyList<DeliveryResult>>(async (conn, tx) =>
        {
            var now = _time.GetUtcNow();
            await using var ins = Command(conn, tx, SqlScripts.Get(Driver, "record_event"));
            var p = new[] { "@delivery_id", "@hook_id", "@event_type", "@action", "@repository", "@now", "@payload", "@converted" }
                .Select(name => ins.Parameters.Add(new SqliteParameter(name, DBNull.Value))).ToArray();
            await using var find = Command(conn, tx, SqlScripts.Get(Driver, "find_event"));
            var findHook = find.Parameters.Add(new SqliteParameter("@hook_id", DBNull.Value));
            var findDelivery = find.Parameters.Add(new SqliteParameter("@delivery_id", DBNull.Value));
            await using var job = JobInsertCommand(conn, tx);

            var list = new List<DeliveryResult>(deliveries.Count);
            foreach (var (delivery, jobs) in deliveries)
            {
                p[0].Value = delivery.DeliveryId;
                p[1].Value = delivery.HookId;
                p[2].Value = delivery.EventType;
                p[3].Value = (object?)delivery.Action ?? DBNull.Value;
                p[4].Value = (object?)delivery.Repository ?? DBNull.Value;
                p[5].Value = Ts(now);
                p[6].Value = delivery.Payload;
                p[7].Value = jobs.Count > 0 ? 1 : 0;
                var id = await ins.ExecuteScalarAsync(ct);
                if (id is null or DBNull)
                {
                    findHook.Value = delivery.HookId;
                    findDelivery.Value = delivery.DeliveryId;
                    list.Add(new DeliveryResult(true, Convert.ToInt64(await find.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture), []));
                    continue;
                }
                var eventId = Convert.ToInt64(id, CultureInfo.InvariantCulture);
                var jobIds = new List<long>(jobs.Count);
                foreach (var newJob in jobs) jobIds.Add(await InsertJobAsync(job, newJob, eventId, now, ct));
                list.Add(new DeliveryResult(false, eventId, jobIds));
            }
            return list;
        }, ct);
        if (results.Any(r => r.JobIds.Count > 0)) _signal.Notify();
        return results;
    }

    public async Task<long> EnqueueAsync(NewJob job, CancellationToken ct)
    {
        var id = await WriteAsync(async (conn, tx) =>
        {
            await using var cmd = JobInsertCommand(conn, tx);
            return await InsertJobAsync(cmd, job, null, _time.GetUtcNow(), ct);
        }, ct);
        _signal.Notify();
        return id;
    }

    private static SqliteCommand JobInsertCommand(SqliteConnection conn, SqliteTransaction tx)
    {
        var cmd = Command(conn, tx, SqlScripts.Get(Driver, "insert_job"));
        foreach (var name in new[] { "@job_type", "@payload", "@priority", "@max_attempts", "@now", "@scheduled_at", "@event_id" })
            cmd.Parameters.Add(new SqliteParameter(name, DBNull.Value)); // typed from each value at bind time
        return cmd;
    }

    private static async Task<long> InsertJobAsync(SqliteCommand cmd, NewJob job, long? eventId, DateTimeOffset now, CancellationToken ct)
    {
        cmd.Parameters["@job_type"].Value = job.JobType;
        cmd.Parameters["@payload"].Value = job.Payload;
        cmd.Parameters["@priority"].Value = job.Priority;
        cmd.Parameters["@max_attempts"].Value = Math.Max(1, job.MaxAttempts);
        cmd.Parameters["@now"].Value = Ts(now);
        cmd.Parameters["@scheduled_at"].Value = Ts(job.RunAt ?? now);
        cmd.Parameters["@event_id"].Value = (object?)eventId ?? DBNull.Value;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

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

    public Task<IReadOnlySet<long>> RenewLeasesAsync(IReadOnlyCollection<JobLease> leases, TimeSpan leaseDuration, CancellationToken ct) =>
        WriteAsync<IReadOnlySet<long>>(async (conn, tx) =>
        {
            var held = new HashSet<long>();
            var expires = Ts(_time.GetUtcNow() + leaseDuration);
            foreach (var lease in leases)
            {
                await using var cmd = LeaseCommand(conn, tx, "renew_lease", lease);
                cmd.Parameters.AddWithValue("@lease_expires_at", expires);
                if (await cmd.ExecuteNonQueryAsync(ct) == 1) held.Add(lease.JobId);
            }
            return held;
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

    public Task<HeartbeatRecord?> GetLastHeartbeatAsync(CancellationToken ct) => ReadAsync(async conn =>
    {
        await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "last_heartbeat"));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new HeartbeatRecord(r.GetString(0), ParseTs(r.GetString(1)), r.GetString(2)) : null;
    }, ct);

    public Task<JobRecord?> GetJobAsync(long id, CancellationToken ct) => ReadAsync(async conn =>
    {
        await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "get_job"));
        cmd.Parameters.AddWithValue("@id", id);
        return (await ReadJobsAsync(cmd, ct)).FirstOrDefault();
    }, ct);

    public Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobQuery query, CancellationToken ct) => ReadAsync<IReadOnlyList<JobRecord>>(async conn =>
    {
        await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "list_jobs"));
        cmd.Parameters.AddWithValue("@status", query.Status is { } s ? s.ToDb() : DBNull.Value);
        cmd.Parameters.AddWithValue("@job_type", (object?)query.JobType ?? DBNull.Value);
        cmd.Parameters.AddWithValue("@before_id", (object?)query.BeforeId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("@search", string.IsNullOrEmpty(query.Search) ? DBNull.Value : query.Search);
        cmd.Parameters.AddWithValue("@limit", Math.Clamp(query.Limit, 1, 1000));
        return await ReadJobsAsync(cmd, ct);
    }, ct);

    public async Task<bool> RetryJobAsync(long id, CancellationToken ct)
    {
        var ok = await WriteAsync(async (conn, tx) =>
        {
            await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "retry_job"));
            cmd.Parameters.AddWithValue("@id", id);
            cmd.Parameters.AddWithValue("@now", Ts(_time.GetUtcNow()));
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }, ct);
        if (ok) _signal.Notify();
        return ok;
    }

    public Task<bool> CancelJobAsync(long id, CancellationToken ct) =>
        WriteAsync(async (conn, tx) =>
        {
            await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "cancel_job"));
            cmd.Parameters.AddWithValue("@id", id);
            cmd.Parameters.AddWithValue("@now", Ts(_time.GetUtcNow()));
            return await cmd.ExecuteNonQueryAsync(ct) == 1;
        }, ct);

    public Task<IReadOnlyList<WebhookEventRecord>> ListEventsAsync(EventQuery query, CancellationToken ct) => ReadAsync<IReadOnlyList<WebhookEventRecord>>(async conn =>
    {
        await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "list_events"));
        cmd.Parameters.AddWithValue("@event_type", (object?)query.EventType ?? DBNull.Value);
        cmd.Parameters.AddWithValue("@include_heartbeats", query.IncludeHeartbeats ? 1 : 0);
        cmd.Parameters.AddWithValue("@before_id", (object?)query.BeforeId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("@limit", Math.Clamp(query.Limit, 1, 1000));
        var list = new List<WebhookEventRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new WebhookEventRecord(
                r.GetInt64(r.GetOrdinal("id")), r.GetString(r.GetOrdinal("delivery_id")), r.GetString(r.GetOrdinal("hook_id")),
                r.GetString(r.GetOrdinal("event_type")), NullableString(r, "action"), NullableString(r, "repository"),
                ParseTs(r.GetString(r.GetOrdinal("received_at"))), r.GetInt64(r.GetOrdinal("converted_to_job")) != 0,
                r.GetString(r.GetOrdinal("payload"))));
        }
        return list;
    }, ct);

    public Task<IReadOnlyDictionary<JobStatus, long>> CountJobsByStatusAsync(CancellationToken ct) => ReadAsync<IReadOnlyDictionary<JobStatus, long>>(async conn =>
    {
        var counts = JobStatusNames.All.ToDictionary(s => s, _ => 0L);
        await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "count_by_status"));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            if (JobStatusNames.TryParse(r.GetString(0), out var s)) counts[s] = r.GetInt64(1);
        return counts;
    }, ct);

    public Task<int> PruneAsync(DateTimeOffset completedBefore, DateTimeOffset eventsBefore, CancellationToken ct) =>
        WriteAsync(async (conn, tx) =>
        {
            await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "prune"));
            cmd.Parameters.AddWithValue("@completed_before", Ts(completedBefore));
            cmd.Parameters.AddWithValue("@events_before", Ts(eventsBefore));
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);

    public Task<IReadOnlyList<JobTypeCount>> CountJobsByTypeAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<JobTypeCount>>(async conn =>
    {
        var list = new List<JobTypeCount>();
        await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "count_by_type"));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            if (JobStatusNames.TryParse(r.GetString(1), out var s)) list.Add(new JobTypeCount(r.GetString(0), s, r.GetInt64(2)));
        return list;
    }, ct);

    public Task<IReadOnlyList<FinishedJobsBucket>> CountFinishedJobsAsync(DateTimeOffset since, TimeSpan bucket, CancellationToken ct)
    {
        var seconds = (long)bucket.TotalSeconds;
        if (seconds < 1) throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "A bucket is at least one second.");
        return ReadAsync<IReadOnlyList<FinishedJobsBucket>>(async conn =>
        {
            var list = new List<FinishedJobsBucket>();
            await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "count_finished"));
            cmd.Parameters.AddWithValue("@since", Ts(since));
            cmd.Parameters.AddWithValue("@since_epoch", since.ToUnixTimeSeconds());
            cmd.Parameters.AddWithValue("@bucket_seconds", seconds);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                list.Add(new FinishedJobsBucket(since.AddSeconds(r.GetInt64(0) * seconds), r.GetInt64(1), r.GetInt64(2)));
            return list;
        }, ct);
    }

    public Task<IReadOnlyDictionary<long, IReadOnlyList<long>>> ListJobIdsByEventAsync(IReadOnlyCollection<long> eventIds, CancellationToken ct) =>
        ReadAsync<IReadOnlyDictionary<long, IReadOnlyList<long>>>(async conn =>
        {
            var map = new Dictionary<long, IReadOnlyList<long>>();
            if (eventIds.Count == 0) return map;
            await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "job_ids_by_event"));
            cmd.Parameters.AddWithValue("@event_ids", JsonSerializer.Serialize(eventIds));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var eventId = r.GetInt64(0);
                if (!map.TryGetValue(eventId, out var ids)) map[eventId] = ids = new List<long>();
                ((List<long>)ids).Add(r.GetInt64(1));
            }
            return map;
        }, ct);

    public Task<IReadOnlySet<string>> FindStoredDeliveriesAsync(string? hookId, IReadOnlyCollection<string> deliveryIds, CancellationToken ct) =>
        ReadAsync<IReadOnlySet<string>>(async conn =>
        {
            var found = new HashSet<string>(StringComparer.Ordinal);
            if (deliveryIds.Count == 0) return found;
            await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "stored_deliveries"));
            cmd.Parameters.AddWithValue("@hook_id", (object?)hookId ?? DBNull.Value);
            cmd.Parameters.AddWithValue("@delivery_ids", JsonSerializer.Serialize(deliveryIds));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) found.Add(r.GetString(0));
            return found;
        }, ct);

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
        EventId: r.IsDBNull(r.GetOrdinal("event_id")) ? null : r.GetInt64(r.GetOrdinal("event_id")));


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
