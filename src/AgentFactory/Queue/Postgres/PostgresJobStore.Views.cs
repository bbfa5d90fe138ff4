using System.Data;
using AgentFactory.Events;
using AgentFactory.Jobs;
using NpgsqlTypes;
using static AgentFactory.Queue.Postgres.PostgresRows;

namespace AgentFactory.Queue.Postgres;

/// <summary>IOperatorViews: what the dashboard, its API, /health and the CLI read and do.</summary>
public sealed partial class PostgresJobStore
{
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
                r.GetBoolean("converted_to_job"), r.GetString("payload"), NullableString(r, "trigger_refusal")));
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
}
