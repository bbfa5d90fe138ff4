using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using AgentFactory.Events;
using AgentFactory.Jobs;
using Microsoft.Data.Sqlite;

namespace AgentFactory.Queue.Sqlite;

/// <summary>IDeliveryStore: deliveries and their jobs, hand-queued jobs, stored-delivery look-ups.</summary>
public sealed partial class SqliteJobStore
{
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
}
