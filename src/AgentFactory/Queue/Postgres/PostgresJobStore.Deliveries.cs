using System.Data;
using AgentFactory.Events;
using AgentFactory.Jobs;
using Npgsql;
using NpgsqlTypes;
using static AgentFactory.Queue.Postgres.PostgresRows;

namespace AgentFactory.Queue.Postgres;

/// <summary>IDeliveryStore: deliveries and their jobs, hand-queued jobs, stored-delivery look-ups.</summary>
public sealed partial class PostgresJobStore
{
    public async Task<IReadOnlyList<DeliveryResult>> RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct)
    {
        var results = await StorableJson.RecordStorableAsync(deliveries, storable => RecordOrRefuseAsync(storable, ct));
        if (results.Any(r => r.JobIds.Count > 0)) _signal.Notify();
        return results;
    }

    /// <summary>
    /// PostgreSQL fails a whole transaction for one value it cannot store. Should a payload get past
    /// <see cref="StorableJson"/> and be refused for its data (or the batch lose a deadlock), the batch is
    /// tried again one delivery at a time, so only that delivery is refused and the others commit.
    /// </summary>
    private async Task<IReadOnlyList<DeliveryResult>> RecordOrRefuseAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct)
    {
        try
        {
            return await RecordInLockOrderAsync(deliveries, ct);
        }
        catch (StoreUnavailableException e) when (e.InnerException is PostgresException pg && (IsRefusedData(pg) || pg.SqlState == PostgresErrorCodes.DeadlockDetected && deliveries.Count > 1))
        {
            if (deliveries.Count == 1)
                return [DeliveryResult.Refusal($"PostgreSQL cannot store this payload ({pg.SqlState}: {pg.MessageText}).")];
            var results = new List<DeliveryResult>(deliveries.Count);
            foreach (var delivery in deliveries) results.AddRange(await RecordOrRefuseAsync([delivery], ct));
            return results;
        }
    }

    /// <summary>Data exceptions (class 22) and program limits (54): the values, not the database, are at fault.</summary>
    private static bool IsRefusedData(PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal) || e.SqlState.StartsWith("54", StringComparison.Ordinal);

    /// <summary>
    /// Several deliveries and their jobs in one transaction, one result each, in order. A delivery
    /// already stored, or earlier in the same batch, is a duplicate (ON CONFLICT sees the batch's own rows).
    /// The statements are the per-delivery ones, sent as two pipelined batches (all event inserts, then
    /// all job inserts and duplicate look-ups): two round trips per transaction instead of two per
    /// delivery, which bounded ingest on PostgreSQL (see docs/benchmarks.md).
    /// </summary>
    private async Task<IReadOnlyList<DeliveryResult>> RecordInLockOrderAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct)
    {
        // Ingest keeps several of these transactions in flight (IngestWriters). Inserting in (body, hook, delivery)
        // order makes every transaction take the unique-index locks in one global order, so two batches that
        // carry the same redeliveries or replays wait for each other instead of deadlocking. (Only two bodies
        // sent under each other's delivery ids could still cross; PostgreSQL then aborts one batch, which is
        // tried again a delivery at a time.) The sort is stable: within a batch the earlier copy of a delivery
        // is still the one stored.
        var order = Enumerable.Range(0, deliveries.Count)
            .OrderBy(i => deliveries[i].Delivery.BodySha256 ?? "~", StringComparer.Ordinal)
            .ThenBy(i => deliveries[i].Delivery.HookId, StringComparer.Ordinal)
            .ThenBy(i => deliveries[i].Delivery.DeliveryId, StringComparer.Ordinal)
            .ToArray();
        var sorted = order.Select(i => deliveries[i]).ToArray();
        var inOrder = await RecordSortedAsync(sorted, ct);
        var results = new DeliveryResult[deliveries.Count];
        for (var k = 0; k < order.Length; k++) results[order[k]] = inOrder[k];
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
                foreach (var record in deliveries) events.BatchCommands.Add(RecordEventCommand(record, now));
                await using var r = await events.ExecuteReaderAsync(ct);
                for (var i = 0; i < deliveries.Count; i++)
                {
                    if (i > 0) await r.NextResultAsync(ct);
                    if (await r.ReadAsync(ct)) eventIds[i] = r.GetInt64(0);
                }
            }

            // Second round trip: each new delivery's jobs, or the stored delivery each duplicate repeats;
            // first the locks of the concurrency keys among those jobs, if any.
            await using var second = new NpgsqlBatch(conn, tx);
            var locks = KeyLocksCommand(deliveries.Where((_, i) => eventIds[i] is not null).SelectMany(d => d.Jobs));
            var locked = locks is not null;
            if (locks is not null) second.BatchCommands.Add(locks);
            for (var i = 0; i < deliveries.Count; i++)
            {
                if (eventIds[i] is { } eventId)
                    foreach (var job in deliveries[i].Jobs) second.BatchCommands.Add(InsertJobCommand(job, eventId, now));
                else
                    second.BatchCommands.Add(FindEventCommand(deliveries[i].Delivery));
            }
            var list = new List<DeliveryResult>(deliveries.Count);
            if (second.BatchCommands.Count == 0)
            {
                list.AddRange(deliveries.Select((_, i) => new DeliveryResult(false, eventIds[i]!.Value, [])));
                return list;
            }
            var stale = new List<(int Index, long StoredId)>();
            await using (var r = await second.ExecuteReaderAsync(ct))
            {
                var first = !locked;
                async Task NextRowAsync()
                {
                    if (!first) await r.NextResultAsync(ct);
                    first = false;
                    await r.ReadAsync(ct);
                }
                for (var i = 0; i < deliveries.Count; i++)
                {
                    if (eventIds[i] is not { } eventId)
                    {
                        await NextRowAsync();
                        var stored = r.GetInt64(0);
                        if (!r.GetBoolean(2) && r.GetFieldValue<DateTimeOffset>(1) < now - NewWebhookEvent.ReplayWindow) stale.Add((i, stored));
                        list.Add(new DeliveryResult(true, stored, []));
                        continue;
                    }
                    var jobIds = new List<long>(deliveries[i].Jobs.Count);
                    for (var j = 0; j < deliveries[i].Jobs.Count; j++)
                    {
                        await NextRowAsync();
                        jobIds.Add(r.GetInt64(0));
                        if (deliveries[i].Jobs[j].Concurrency is not null && r.GetInt64(2) > 0) _signal.NotifyLeasesChanged();
                    }
                    list.Add(new DeliveryResult(false, eventId, jobIds));
                }
            }
            foreach (var (index, storedId) in stale) list[index] = await RecordAfterStaleBodyAsync(conn, tx, deliveries[index], storedId, now, ct);
            return list;
        }, ct);

    /// <summary>
    /// The rare delivery whose only match is an identical body from before the replay window: that row
    /// gives up its hash and the delivery is recorded after all (or is a duplicate of what a concurrent
    /// transaction stored meanwhile).
    /// </summary>
    private async Task<DeliveryResult> RecordAfterStaleBodyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DeliveryRecord record, long staleId, DateTimeOffset now, CancellationToken ct)
    {
        await using (var release = Command(conn, tx, "release_body"))
        {
            release.Parameters.Add(P("id", NpgsqlDbType.Bigint, staleId));
            await release.ExecuteNonQueryAsync(ct);
        }
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { RecordEventCommand(record, now) } };
        if (await batch.ExecuteScalarAsync(ct) is long eventId)
        {
            if (KeyLocksCommand(record.Jobs) is { } locks)
            {
                await using var lockBatch = new NpgsqlBatch(conn, tx) { BatchCommands = { locks } };
                await lockBatch.ExecuteNonQueryAsync(ct);
            }
            var jobIds = new List<long>(record.Jobs.Count);
            foreach (var job in record.Jobs) jobIds.Add(await InsertJobAsync(conn, tx, job, eventId, now, ct));
            return new DeliveryResult(false, eventId, jobIds);
        }
        await using var find = new NpgsqlBatch(conn, tx) { BatchCommands = { FindEventCommand(record.Delivery) } };
        return new DeliveryResult(true, (long)(await find.ExecuteScalarAsync(ct))!, []);
    }

    private static NpgsqlBatchCommand RecordEventCommand(DeliveryRecord record, DateTimeOffset now)
    {
        var (delivery, jobs) = record;
        var cmd = new NpgsqlBatchCommand(SqlScripts.Get(Driver, "record_event"));
        cmd.Parameters.Add(P("delivery_id", NpgsqlDbType.Text, delivery.DeliveryId));
        cmd.Parameters.Add(P("hook_id", NpgsqlDbType.Text, delivery.HookId));
        cmd.Parameters.Add(P("event_type", NpgsqlDbType.Text, delivery.EventType));
        cmd.Parameters.Add(P("action", NpgsqlDbType.Text, delivery.Action));
        cmd.Parameters.Add(P("repository", NpgsqlDbType.Text, delivery.Repository));
        cmd.Parameters.Add(Time("now", now));
        cmd.Parameters.Add(P("payload", NpgsqlDbType.Jsonb, JsonbText.Sanitize(delivery.Payload)));
        cmd.Parameters.Add(P("converted", NpgsqlDbType.Boolean, jobs.Count > 0));
        cmd.Parameters.Add(P("body_sha256", NpgsqlDbType.Text, delivery.BodySha256));
        cmd.Parameters.Add(P("trigger_refusal", NpgsqlDbType.Text, delivery.TriggerRefusal));
        return cmd;
    }

    private static NpgsqlBatchCommand FindEventCommand(NewWebhookEvent delivery)
    {
        var cmd = new NpgsqlBatchCommand(SqlScripts.Get(Driver, "find_event"));
        cmd.Parameters.Add(P("hook_id", NpgsqlDbType.Text, delivery.HookId));
        cmd.Parameters.Add(P("delivery_id", NpgsqlDbType.Text, delivery.DeliveryId));
        cmd.Parameters.Add(P("body_sha256", NpgsqlDbType.Text, delivery.BodySha256));
        return cmd;
    }

    private static NpgsqlBatchCommand InsertJobCommand(NewJob job, long eventId, DateTimeOffset now)
    {
        var cmd = new NpgsqlBatchCommand(SqlScripts.Get(Driver, InsertScript(job)));
        cmd.Parameters.AddRange(JobParameters(job, eventId, now));
        return cmd;
    }

    /// <summary>A keyless job takes the plain insert; a keyed one the insert that skips or supersedes.</summary>
    private static string InsertScript(NewJob job) => job.Concurrency is null ? "insert_job" : "insert_keyed_job";

    /// <summary>The lock statement for the concurrency keys of <paramref name="jobs"/>; null when none has a key.</summary>
    private static NpgsqlBatchCommand? KeyLocksCommand(IEnumerable<NewJob> jobs)
    {
        var keys = jobs.Where(j => j.Concurrency is not null).Select(j => j.JobType + "\n" + j.Concurrency!.Key).ToArray();
        if (keys.Length == 0) return null;
        var cmd = new NpgsqlBatchCommand(SqlScripts.Get(Driver, "concurrency_locks"));
        cmd.Parameters.Add(P("keys", NpgsqlDbType.Array | NpgsqlDbType.Text, keys));
        return cmd;
    }

    /// <summary>The parameters of insert_job.sql (and insert_keyed_job.sql), for a single insert or a batch.</summary>
    private static NpgsqlParameter[] JobParameters(NewJob job, long? eventId, DateTimeOffset now) => job.Concurrency is not { } c ? PlainJobParameters(job, eventId, now) :
    [
        .. PlainJobParameters(job, eventId, now),
        P("concurrency_key", NpgsqlDbType.Text, c.Key),
        P("concurrency_mode", NpgsqlDbType.Text, c.ModeName),
    ];

    private static NpgsqlParameter[] PlainJobParameters(NewJob job, long? eventId, DateTimeOffset now) =>
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
        var id = job.Concurrency is null
            ? await RunAsync(conn => InsertJobAsync(conn, null, job, null, _time.GetUtcNow(), ct), ct)
            : await InTransactionAsync(async (conn, tx) =>
            {
                await using (var locks = new NpgsqlBatch(conn, tx) { BatchCommands = { KeyLocksCommand([job])! } })
                    await locks.ExecuteNonQueryAsync(ct);
                return await InsertJobAsync(conn, tx, job, null, _time.GetUtcNow(), ct);
            }, ct);
        _signal.Notify();
        return id;
    }

    private async Task<long> InsertJobAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, NewJob job, long? eventId, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = Command(conn, tx, InsertScript(job));
        cmd.Parameters.AddRange(JobParameters(job, eventId, now));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        if (job.Concurrency is not null && r.GetInt64(2) > 0) _signal.NotifyLeasesChanged();
        return r.GetInt64(0);
    }

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
}
