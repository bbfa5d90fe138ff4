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
    public Task<IReadOnlyList<DeliveryResult>> RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct) =>
        StorableJson.RecordStorableAsync(deliveries, storable => RecordStorableAsync(storable, ct));

    private async Task<IReadOnlyList<DeliveryResult>> RecordStorableAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct)
    {
        var results = await WriteAsync<IReadOnlyList<DeliveryResult>>(async (conn, tx) =>
        {
            var now = _time.GetUtcNow();
            var windowStart = Ts(now - NewWebhookEvent.ReplayWindow);
            await using var ins = Command(conn, tx, SqlScripts.Get(Driver, "record_event"));
            var p = new[] { "@delivery_id", "@hook_id", "@event_type", "@action", "@repository", "@now", "@payload", "@converted", "@body_sha256", "@trigger_refusal" }
                .Select(name => ins.Parameters.Add(new SqliteParameter(name, DBNull.Value))).ToArray();
            await using var find = Command(conn, tx, SqlScripts.Get(Driver, "find_event"));
            var f = new[] { "@hook_id", "@delivery_id", "@body_sha256" }.Select(name => find.Parameters.Add(new SqliteParameter(name, DBNull.Value))).ToArray();
            await using var release = Command(conn, tx, SqlScripts.Get(Driver, "release_body"));
            var releaseId = release.Parameters.Add(new SqliteParameter("@id", DBNull.Value));
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
                p[8].Value = (object?)delivery.BodySha256 ?? DBNull.Value;
                p[9].Value = (object?)delivery.TriggerRefusal ?? DBNull.Value;
                var id = await ins.ExecuteScalarAsync(ct);
                if (id is null or DBNull)
                {
                    f[0].Value = delivery.HookId;
                    f[1].Value = delivery.DeliveryId;
                    f[2].Value = p[8].Value;
                    long stored;
                    await using (var r = await find.ExecuteReaderAsync(ct))
                    {
                        await r.ReadAsync(ct);
                        stored = r.GetInt64(0);
                        var sameDelivery = r.GetInt64(2) != 0;
                        if (sameDelivery || string.CompareOrdinal(r.GetString(1), windowStart) >= 0)
                        {
                            list.Add(new DeliveryResult(true, stored, []));
                            continue;
                        }
                    }
                    // Only an identical body from before the replay window: that row gives up its hash.
                    releaseId.Value = stored;
                    await release.ExecuteNonQueryAsync(ct);
                    id = await ins.ExecuteScalarAsync(ct);
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
