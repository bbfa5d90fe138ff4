using System.Data;
using System.Net.Sockets;
using AgentFactory.Events;
using AgentFactory.Jobs;
using Npgsql;
using NpgsqlTypes;
using static AgentFactory.Queue.Postgres.PostgresRows;

namespace AgentFactory.Queue.Postgres;

/// <summary>IDeliveryStore: deliveries and their jobs, hand-queued jobs, stored-delivery look-ups.</summary>
public sealed partial class PostgresJobStore
{
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
