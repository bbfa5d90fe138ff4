using System.Data;
using System.Net.Sockets;
using AgentFactory.Events;
using AgentFactory.Jobs;
using Npgsql;
using NpgsqlTypes;
using static AgentFactory.Queue.Postgres.PostgresRows;

namespace AgentFactory.Queue.Postgres;

/// <summary>
/// The shared queue: PostgreSQL (self-hosted or Supabase), safe for many instances at once. Claims
/// use FOR UPDATE SKIP LOCKED in one statement; every write-back is fenced on the lease (id, owner,
/// attempt, running) like the SQLite store; concurrent completions share one statement. New jobs
/// NOTIFY agentfactory_jobs in their transaction (see <see cref="PostgresChangeListener"/>). Times
/// come from the injected TimeProvider, never from the database clock, so both drivers behave alike.
/// Every Npgsql failure leaves this class as a <see cref="StoreUnavailableException"/>.
/// </summary>
public sealed class PostgresJobStore : IJobStore, IAsyncDisposable, IDisposable
{
    private const string Driver = "Postgres";
    public const string NotifyChannel = "agentfactory_jobs";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly QueueSignal _signal;
    private readonly WriteCoalescer<(JobLease Lease, string? Output), bool> _completions;

    /// <param name="databaseListen">DATABASE_LISTEN: false means a pooler the port does not reveal may be in between, so no prepared statements either.</param>
    public PostgresJobStore(string databaseUrl, TimeProvider time, QueueSignal signal, bool databaseListen = true)
    {
        Settings = PostgresConnectionString.Parse(databaseUrl);
        Settings.ApplicationName ??= "agentfactory";
        PostgresConnectionString.EnableAutoPrepare(databaseUrl, Settings, databaseListen);
        _dataSource = new NpgsqlDataSourceBuilder(Settings.ConnectionString).Build();
        _time = time;
        _signal = signal;
        _completions = new(c => c.Lease.JobId, CompleteBatchAsync);
    }

    /// <summary>The parsed connection settings (the listener opens its own connection from them).</summary>
    public NpgsqlConnectionStringBuilder Settings { get; }

    /// <summary>How many completion statements have run; fewer than completions means they were coalesced.</summary>
    internal long CompletionBatches => _completions.Batches;

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    public void Dispose() => _dataSource.Dispose();

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

    public Task PingAsync(CancellationToken ct) => RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "ping");
        return await cmd.ExecuteScalarAsync(ct);
    }, ct);

    /// <summary>
    /// Several deliveries and their jobs in one transaction, one result each, in order. A delivery
    /// already stored, or earlier in the same batch, is a duplicate (ON CONFLICT sees the batch's own rows).
    /// The statements are the per-delivery ones, sent as two pipelined batches (all event inserts, then
    /// all job inserts and duplicate look-ups): two round trips per transaction instead of two per
    /// delivery, which bounded ingest on PostgreSQL (see docs/benchmarks.md).
    /// </summary>
    public async Task<IReadOnlyList<DeliveryResult>> RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct)
    {
        // Ingest keeps several of these transactions in flight (IngestWriters). Inserting in (hook, delivery)
        // order makes every transaction take the unique-index locks in one global order, so two batches that
        // carry the same redeliveries wait for each other instead of deadlocking. The sort is stable: within a
        // batch the earlier copy of a delivery is still the one stored.
        var order = Enumerable.Range(0, deliveries.Count)
            .OrderBy(i => deliveries[i].Delivery.HookId, StringComparer.Ordinal)
            .ThenBy(i => deliveries[i].Delivery.DeliveryId, StringComparer.Ordinal)
            .ToArray();
        var sorted = order.Select(i => deliveries[i]).ToArray();
        var inOrder = await RecordSortedAsync(sorted, ct);
        var results = new DeliveryResult[deliveries.Count];
        for (var k = 0; k < order.Length; k++) results[order[k]] = inOrder[k];
        if (results.Any(r => r.JobIds.Count > 0)) _signal.Notify();
        return results;
    }

    /// <summary>Commits in PostgreSQL run side by side (and share WAL flushes): ingest keeps this many batches in flight.</summary>
    public int IngestWriters => 4;

    private Task<IReadOnlyList<DeliveryResult>> RecordSortedAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct) =>
        InTransactionAsync<IReadOnlyList<DeliveryResult>>(async (conn, tx) =>
        {
            var now = _time.GetUtcNow();
            var eventIds = new long?[deliveries.Count];
            await using (var events = new NpgsqlBatch(conn, tx))
            {
                foreach (var (delivery, jobs) in deliveries)
                {
                    var ins = new NpgsqlBatchCommand(SqlScripts.Get(Driver, "record_event"));
                    ins.Parameters.Add(P("delivery_id", NpgsqlDbType.Text, delivery.DeliveryId));
                    ins.Parameters.Add(P("hook_id", NpgsqlDbType.Text, delivery.HookId));
                    ins.Parameters.Add(P("event_type", NpgsqlDbType.Text, delivery.EventType));
                    ins.Parameters.Add(P("action", NpgsqlDbType.Text, delivery.Action));
                    ins.Parameters.Add(P("repository", NpgsqlDbType.Text, delivery.Repository));
                    ins.Parameters.Add(Time("now", now));
                    ins.Parameters.Add(P("payload", NpgsqlDbType.Jsonb, JsonbText.Sanitize(delivery.Payload)));
                    ins.Parameters.Add(P("converted", NpgsqlDbType.Boolean, jobs.Count > 0));
                    events.BatchCommands.Add(ins);
                }
                await using var r = await events.ExecuteReaderAsync(ct);
                for (var i = 0; i < deliveries.Count; i++)
                {
                    if (i > 0) await r.NextResultAsync(ct);
                    if (await r.ReadAsync(ct)) eventIds[i] = r.GetInt64(0);
                }
            }

            // Second round trip: each new delivery's jobs, or each duplicate's stored event id.
            await using var second = new NpgsqlBatch(conn, tx);
            for (var i = 0; i < deliveries.Count; i++)
            {
                var (delivery, jobs) = deliveries[i];
                if (eventIds[i] is { } eventId)
                {
                    foreach (var job in jobs) second.BatchCommands.Add(InsertJobCommand(job, eventId, now));
                    continue;
                }
                var find = new NpgsqlBatchCommand(SqlScripts.Get(Driver, "find_event"));
                find.Parameters.Add(P("hook_id", NpgsqlDbType.Text, delivery.HookId));
                find.Parameters.Add(P("delivery_id", NpgsqlDbType.Text, delivery.DeliveryId));
                second.BatchCommands.Add(find);
            }
            var list = new List<DeliveryResult>(deliveries.Count);
            if (second.BatchCommands.Count == 0)
            {
                list.AddRange(deliveries.Select((_, i) => new DeliveryResult(false, eventIds[i]!.Value, [])));
                return list;
            }
            await using (var r = await second.ExecuteReaderAsync(ct))
            {
                var first = true;
                async Task<long> NextIdAsync()
                {
                    if (!first) await r.NextResultAsync(ct);
                    first = false;
                    await r.ReadAsync(ct);
                    return r.GetInt64(0);
                }
                for (var i = 0; i < deliveries.Count; i++)
                {
                    if (eventIds[i] is not { } eventId)
                    {
                        list.Add(new DeliveryResult(true, await NextIdAsync(), []));
                        continue;
                    }
                    var jobIds = new List<long>(deliveries[i].Jobs.Count);
                    for (var j = 0; j < deliveries[i].Jobs.Count; j++) jobIds.Add(await NextIdAsync());
                    list.Add(new DeliveryResult(false, eventId, jobIds));
                }
            }
            return list;
        }, ct);

    private static NpgsqlBatchCommand InsertJobCommand(NewJob job, long eventId, DateTimeOffset now)
    {
        var cmd = new NpgsqlBatchCommand(SqlScripts.Get(Driver, "insert_job"));
        cmd.Parameters.AddRange(JobParameters(job, eventId, now));
        return cmd;
    }

    /// <summary>The parameters of insert_job.sql, for a single insert or a batch.</summary>
    private static NpgsqlParameter[] JobParameters(NewJob job, long? eventId, DateTimeOffset now) =>
    [
        P("job_type", NpgsqlDbType.Text, job.JobType),
        P("payload", NpgsqlDbType.Jsonb, JsonbText.Sanitize(job.Payload)),
        P("priority", NpgsqlDbType.Integer, job.Priority),
        P("max_attempts", NpgsqlDbType.Integer, Math.Max(1, job.MaxAttempts)),
        Time("now", now),
        Time("scheduled_at", job.RunAt ?? now),
        P("event_id", NpgsqlDbType.Bigint, eventId),
    ];

    public async Task<long> EnqueueAsync(NewJob job, CancellationToken ct)
    {
        var id = await RunAsync(conn => InsertJobAsync(conn, null, job, null, _time.GetUtcNow(), ct), ct);
        _signal.Notify();
        return id;
    }

    private static async Task<long> InsertJobAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, NewJob job, long? eventId, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = Command(conn, tx, "insert_job");
        cmd.Parameters.AddRange(JobParameters(job, eventId, now));
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public Task<IReadOnlyList<JobRecord>> ClaimAsync(string owner, int limit, TimeSpan leaseDuration, CancellationToken ct) =>
        RunAsync<IReadOnlyList<JobRecord>>(async conn =>
        {
            var now = _time.GetUtcNow();
            await using var cmd = Command(conn, null, "claim");
            cmd.Parameters.Add(Time("now", now));
            cmd.Parameters.Add(P("owner", NpgsqlDbType.Text, owner));
            cmd.Parameters.Add(Time("lease_expires_at", now + leaseDuration));
            cmd.Parameters.Add(P("limit", NpgsqlDbType.Integer, limit));
            var jobs = await ReadJobsAsync(cmd, ct);
            jobs.Sort((a, b) => a.Priority != b.Priority ? b.Priority.CompareTo(a.Priority) : a.Id.CompareTo(b.Id));
            return jobs;
        }, ct);

    public async Task<IReadOnlySet<long>> RenewLeasesAsync(IReadOnlyCollection<JobLease> leases, TimeSpan leaseDuration, CancellationToken ct)
    {
        if (leases.Count == 0) return new HashSet<long>();
        return await RunAsync<IReadOnlySet<long>>(async conn =>
        {
            await using var cmd = Command(conn, null, "renew_leases");
            AddLeases(cmd, [.. leases]);
            cmd.Parameters.Add(Time("lease_expires_at", _time.GetUtcNow() + leaseDuration));
            return await ReadIdsAsync(cmd, ct);
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

    public Task<HeartbeatRecord?> GetLastHeartbeatAsync(CancellationToken ct) => RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "last_heartbeat");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new HeartbeatRecord(r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2)) : null;
    }, ct);

    public Task<JobRecord?> GetJobAsync(long id, CancellationToken ct) => RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "get_job");
        cmd.Parameters.Add(P("id", NpgsqlDbType.Bigint, id));
        return (await ReadJobsAsync(cmd, ct)).FirstOrDefault();
    }, ct);

    public Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobQuery query, CancellationToken ct) => RunAsync<IReadOnlyList<JobRecord>>(async conn =>
    {
        await using var cmd = Command(conn, null, "list_jobs");
        cmd.Parameters.Add(P("status", NpgsqlDbType.Text, query.Status?.ToDb()));
        cmd.Parameters.Add(P("job_type", NpgsqlDbType.Text, query.JobType));
        cmd.Parameters.Add(P("before_id", NpgsqlDbType.Bigint, query.BeforeId));
        cmd.Parameters.Add(P("search", NpgsqlDbType.Text, string.IsNullOrEmpty(query.Search) ? null : query.Search));
        cmd.Parameters.Add(P("limit", NpgsqlDbType.Integer, Math.Clamp(query.Limit, 1, 1000)));
        return await ReadJobsAsync(cmd, ct);
    }, ct);

    public async Task<bool> RetryJobAsync(long id, CancellationToken ct)
    {
        var ok = await IdUpdateAsync("retry_job", id, ct);
        if (ok) _signal.Notify();
        return ok;
    }

    public Task<bool> CancelJobAsync(long id, CancellationToken ct) => IdUpdateAsync("cancel_job", id, ct);

    private Task<bool> IdUpdateAsync(string script, long id, CancellationToken ct) => RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, script);
        cmd.Parameters.Add(P("id", NpgsqlDbType.Bigint, id));
        cmd.Parameters.Add(Time("now", _time.GetUtcNow()));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }, ct);

    public Task<IReadOnlyList<WebhookEventRecord>> ListEventsAsync(EventQuery query, CancellationToken ct) => RunAsync<IReadOnlyList<WebhookEventRecord>>(async conn =>
    {
        await using var cmd = Command(conn, null, "list_events");
        cmd.Parameters.Add(P("event_type", NpgsqlDbType.Text, query.EventType));
        cmd.Parameters.Add(P("include_heartbeats", NpgsqlDbType.Boolean, query.IncludeHeartbeats));
        cmd.Parameters.Add(P("before_id", NpgsqlDbType.Bigint, query.BeforeId));
        cmd.Parameters.Add(P("limit", NpgsqlDbType.Integer, Math.Clamp(query.Limit, 1, 1000)));
        var list = new List<WebhookEventRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new WebhookEventRecord(
                r.GetInt64("id"), r.GetString("delivery_id"), r.GetString("hook_id"), r.GetString("event_type"),
                NullableString(r, "action"), NullableString(r, "repository"), r.GetFieldValue<DateTimeOffset>("received_at"),
                r.GetBoolean("converted_to_job"), r.GetString("payload")));
        }
        return list;
    }, ct);

    public Task<IReadOnlyDictionary<JobStatus, long>> CountJobsByStatusAsync(CancellationToken ct) => RunAsync<IReadOnlyDictionary<JobStatus, long>>(async conn =>
    {
        var counts = JobStatusNames.All.ToDictionary(s => s, _ => 0L);
        await using var cmd = Command(conn, null, "count_by_status");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            if (JobStatusNames.TryParse(r.GetString(0), out var s)) counts[s] = r.GetInt64(1);
        return counts;
    }, ct);

    public Task<IReadOnlyList<JobTypeCount>> CountJobsByTypeAsync(CancellationToken ct) => RunAsync<IReadOnlyList<JobTypeCount>>(async conn =>
    {
        var list = new List<JobTypeCount>();
        await using var cmd = Command(conn, null, "count_by_type");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            if (JobStatusNames.TryParse(r.GetString(1), out var s)) list.Add(new JobTypeCount(r.GetString(0), s, r.GetInt64(2)));
        return list;
    }, ct);

    public Task<IReadOnlyList<FinishedJobsBucket>> CountFinishedJobsAsync(DateTimeOffset since, TimeSpan bucket, CancellationToken ct)
    {
        var seconds = (long)bucket.TotalSeconds;
        if (seconds < 1) throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "A bucket is at least one second.");
        return RunAsync<IReadOnlyList<FinishedJobsBucket>>(async conn =>
        {
            var list = new List<FinishedJobsBucket>();
            await using var cmd = Command(conn, null, "count_finished");
            cmd.Parameters.Add(Time("since", since));
            cmd.Parameters.Add(P("bucket_seconds", NpgsqlDbType.Bigint, seconds));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                list.Add(new FinishedJobsBucket(since.AddSeconds(r.GetInt64(0) * seconds), r.GetInt64(1), r.GetInt64(2)));
            return list;
        }, ct);
    }

    public Task<IReadOnlyDictionary<long, IReadOnlyList<long>>> ListJobIdsByEventAsync(IReadOnlyCollection<long> eventIds, CancellationToken ct) =>
        RunAsync<IReadOnlyDictionary<long, IReadOnlyList<long>>>(async conn =>
        {
            var map = new Dictionary<long, IReadOnlyList<long>>();
            if (eventIds.Count == 0) return map;
            await using var cmd = Command(conn, null, "job_ids_by_event");
            cmd.Parameters.Add(P("event_ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, eventIds.ToArray()));
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
        RunAsync<IReadOnlySet<string>>(async conn =>
        {
            var found = new HashSet<string>(StringComparer.Ordinal);
            if (deliveryIds.Count == 0) return found;
            await using var cmd = Command(conn, null, "stored_deliveries");
            cmd.Parameters.Add(P("hook_id", NpgsqlDbType.Text, hookId));
            cmd.Parameters.Add(P("delivery_ids", NpgsqlDbType.Array | NpgsqlDbType.Text, deliveryIds.ToArray()));
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) found.Add(r.GetString(0));
            return found;
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

    /// <summary>
    /// Runs on a pooled connection. After a server restart or failover the pool still holds
    /// connections the server closed while they were idle; the first use of one fails before the
    /// statement runs. Then the pool is emptied and the work is tried once more on a fresh
    /// connection, so the first webhook after a restart is not refused. (A retry is harmless even in
    /// the rare case of a link lost during COMMIT: deliveries dedupe and write-backs are fenced.)
    /// </summary>
    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var conn = await _dataSource.OpenConnectionAsync(ct);
                return await work(conn);
            }
            catch (Exception e) when (attempt == 1 && IsDroppedConnection(e) && !ct.IsCancellationRequested)
            {
                _dataSource.Clear();
            }
            catch (Exception e) when (IsStoreFailure(e, ct))
            {
                throw Unavailable(e);
            }
        }
    }

    private static bool IsDroppedConnection(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown,
        NpgsqlException { InnerException: IOException or SocketException } => true,
        _ => false,
    };

    private Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct) => RunAsync(async conn =>
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        var result = await work(conn, tx);
        await tx.CommitAsync(ct);
        return result;
    }, ct);

    private static bool IsStoreFailure(Exception e, CancellationToken ct) =>
        e is NpgsqlException or TimeoutException or SocketException
        || (e is OperationCanceledException && !ct.IsCancellationRequested); // a timeout inside Npgsql, not the caller giving up

    /// <summary>
    /// Says what happened, without the connection string. A dropped connection (server restart,
    /// failover) also empties the pool, so the next call opens a fresh connection instead of
    /// finding another dead one.
    /// </summary>
    private StoreUnavailableException Unavailable(Exception e)
    {
        var broken = e is not PostgresException || e is PostgresException { SqlState: var s } && (s.StartsWith("08", StringComparison.Ordinal) || s.StartsWith("57P", StringComparison.Ordinal));
        if (broken) _dataSource.Clear();
        var message = e switch
        {
            PostgresException pg => $"PostgreSQL refused the operation ({pg.SqlState}: {pg.MessageText})",
            NpgsqlException { InnerException: TimeoutException } or TimeoutException or OperationCanceledException => $"PostgreSQL did not answer in time: {e.Message}",
            _ => $"PostgreSQL cannot be reached: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : "")}",
        };
        return new StoreUnavailableException(message, e);
    }

    private static NpgsqlCommand Command(NpgsqlConnection conn, NpgsqlTransaction? tx, string script) =>
        new(SqlScripts.Get(Driver, script), conn, tx);

    private static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand LeaseCommand(NpgsqlConnection conn, string script, JobLease lease)
    {
        var cmd = Command(conn, null, script);
        cmd.Parameters.Add(P("id", NpgsqlDbType.Bigint, lease.JobId));
        cmd.Parameters.Add(P("owner", NpgsqlDbType.Text, lease.Owner));
        cmd.Parameters.Add(P("attempt", NpgsqlDbType.Integer, lease.Attempt));
        return cmd;
    }

    private static void AddLeases(NpgsqlCommand cmd, IReadOnlyList<JobLease> leases)
    {
        cmd.Parameters.Add(P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, leases.Select(l => l.JobId).ToArray()));
        cmd.Parameters.Add(P("owners", NpgsqlDbType.Array | NpgsqlDbType.Text, leases.Select(l => l.Owner).ToArray()));
        cmd.Parameters.Add(P("attempts", NpgsqlDbType.Array | NpgsqlDbType.Integer, leases.Select(l => l.Attempt).ToArray()));
    }
}
