using AgentFactory.Jobs;
using Npgsql;
using NpgsqlTypes;
using static AgentFactory.Queue.Postgres.PostgresRows;

namespace AgentFactory.Queue.Postgres;

/// <summary>IStepStore: the jobs' transcripts.</summary>
public sealed partial class PostgresJobStore
{
    public Task<int?> AppendStepAsync(JobLease lease, NewJobStep step, CancellationToken ct) => RunAsync(async conn =>
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var cmd = LeaseCommand(conn, "append_step", lease);
                cmd.Parameters.Add(Time("now", _time.GetUtcNow()));
                cmd.Parameters.Add(P("kind", NpgsqlDbType.Text, step.Kind));
                cmd.Parameters.Add(P("name", NpgsqlDbType.Text, step.Name));
                cmd.Parameters.Add(P("input", NpgsqlDbType.Text, step.Input));
                cmd.Parameters.Add(P("output", NpgsqlDbType.Text, step.Output));
                cmd.Parameters.Add(P("is_error", NpgsqlDbType.Boolean, step.IsError));
                cmd.Parameters.Add(P("duration_ms", NpgsqlDbType.Bigint, (long)step.Duration.TotalMilliseconds));
                cmd.Parameters.Add(P("input_tokens", NpgsqlDbType.Bigint, step.InputTokens));
                cmd.Parameters.Add(P("output_tokens", NpgsqlDbType.Bigint, step.OutputTokens));
                cmd.Parameters.Add(P("cost_usd", NpgsqlDbType.Numeric, step.CostUsd));
                cmd.Parameters.Add(P("call_id", NpgsqlDbType.Text, step.CallId));
                return await cmd.ExecuteScalarAsync(ct) is int index ? index : (int?)null;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && attempt < 3)
            {
                // Two appends of one job raced past the row lock's snapshot: take the next index again.
            }
        }
    }, ct);

    public Task<IReadOnlyList<JobStep>> ListStepsAsync(long jobId, int afterIndex, int limit, CancellationToken ct) => RunAsync<IReadOnlyList<JobStep>>(async conn =>
    {
        await using var cmd = Command(conn, null, "list_steps");
        cmd.Parameters.Add(P("job_id", NpgsqlDbType.Bigint, jobId));
        cmd.Parameters.Add(P("after", NpgsqlDbType.Integer, afterIndex));
        cmd.Parameters.Add(P("limit", NpgsqlDbType.Integer, Math.Clamp(limit, 1, 10_000)));
        var list = new List<JobStep>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new JobStep(r.GetInt64(0), r.GetInt32(1), r.GetInt32(2), r.GetFieldValue<DateTimeOffset>(3), r.GetString(4), r.GetString(5),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetBoolean(8), TimeSpan.FromMilliseconds(r.GetInt64(9)),
                r.GetInt64(10), r.GetInt64(11), r.IsDBNull(12) ? null : r.GetDecimal(12), r.IsDBNull(13) ? null : r.GetString(13)));
        }
        return list;
    }, ct);

    public Task<JobUsage> GetJobUsageAsync(long jobId, CancellationToken ct) => RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "job_usage");
        cmd.Parameters.Add(P("job_id", NpgsqlDbType.Bigint, jobId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new JobUsage((int)r.GetInt64(0), (int)r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetDecimal(4));
    }, ct);
}
