using System.Text.Json;
using AgentFactory.Events;
using AgentFactory.Jobs;

namespace AgentFactory.Queue.Sqlite;

/// <summary>IOperatorViews: what the dashboard, its API, /health and the CLI read and do.</summary>
public sealed partial class SqliteJobStore
{
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
                r.GetString(r.GetOrdinal("payload")), NullableString(r, "trigger_refusal")));
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
}
