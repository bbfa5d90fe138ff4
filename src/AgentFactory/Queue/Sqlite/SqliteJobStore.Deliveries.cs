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
        var superseded = false;
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
            await using var job = new JobInserter(conn, tx);

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
                foreach (var newJob in jobs) jobIds.Add(await job.InsertAsync(newJob, eventId, now, ct));
                list.Add(new DeliveryResult(false, eventId, jobIds));
            }
            superseded = job.Superseded;
            return list;
        }, ct);
        if (results.Any(r => r.JobIds.Count > 0)) _signal.Notify();
        if (superseded) _signal.NotifyLeasesChanged();
        return results;
    }

    public async Task<long> EnqueueAsync(NewJob job, CancellationToken ct)
    {
        var inserter = (JobInserter?)null;
        var id = await WriteAsync(async (conn, tx) =>
        {
            inserter = new JobInserter(conn, tx);
            await using (inserter) return await inserter.InsertAsync(job, null, _time.GetUtcNow(), ct);
        }, ct);
        _signal.Notify();
        if (inserter!.Superseded) _signal.NotifyLeasesChanged();
        return id;
    }

    /// <summary>
    /// Inserts the jobs of one transaction: keyless ones with insert_job.sql, prepared once; keyed ones with
    /// insert_keyed_job.sql (skip) and supersede.sql. <see cref="Superseded"/>: a job it inserted cancelled others.
    /// </summary>
    private sealed class JobInserter(SqliteConnection conn, SqliteTransaction tx) : IAsyncDisposable
    {
        private static readonly string[] Names = ["@job_type", "@payload", "@priority", "@max_attempts", "@now", "@scheduled_at", "@event_id"];
        private SqliteCommand? _plain;
        private SqliteCommand? _keyed;
        private SqliteCommand? _supersede;

        public bool Superseded { get; private set; }

        public async Task<long> InsertAsync(NewJob job, long? eventId, DateTimeOffset now, CancellationToken ct)
        {
            var cmd = job.Concurrency is null
                ? _plain ??= Prepare("insert_job", Names)
                : _keyed ??= Prepare("insert_keyed_job", [.. Names, "@concurrency_key", "@concurrency_mode"]);
            cmd.Parameters["@job_type"].Value = job.JobType;
            cmd.Parameters["@payload"].Value = job.Payload;
            cmd.Parameters["@priority"].Value = job.Priority;
            cmd.Parameters["@max_attempts"].Value = Math.Max(1, job.MaxAttempts);
            cmd.Parameters["@now"].Value = Ts(now);
            cmd.Parameters["@scheduled_at"].Value = Ts(job.RunAt ?? now);
            cmd.Parameters["@event_id"].Value = (object?)eventId ?? DBNull.Value;
            if (job.Concurrency is { } c)
            {
                cmd.Parameters["@concurrency_key"].Value = c.Key;
                cmd.Parameters["@concurrency_mode"].Value = c.ModeName;
            }
            var id = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
            if (job.Concurrency is { Mode: ConcurrencyMode.Supersede } s)
            {
                _supersede ??= Prepare("supersede", ["@id", "@job_type", "@concurrency_key", "@now"]);
                _supersede.Parameters["@id"].Value = id;
                _supersede.Parameters["@job_type"].Value = job.JobType;
                _supersede.Parameters["@concurrency_key"].Value = s.Key;
                _supersede.Parameters["@now"].Value = Ts(now);
                Superseded |= await _supersede.ExecuteNonQueryAsync(ct) > 0;
            }
            return id;
        }

        private SqliteCommand Prepare(string script, string[] names)
        {
            var cmd = Command(conn, tx, SqlScripts.Get(Driver, script));
            foreach (var name in names) cmd.Parameters.Add(new SqliteParameter(name, DBNull.Value)); // typed from each value at bind time
            return cmd;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var cmd in new[] { _plain, _keyed, _supersede })
                if (cmd is not null) await cmd.DisposeAsync();
        }
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
