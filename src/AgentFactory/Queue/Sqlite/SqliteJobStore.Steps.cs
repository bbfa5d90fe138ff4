using System.Globalization;
using AgentFactory.Jobs;

namespace AgentFactory.Queue.Sqlite;

/// <summary>IStepStore: the jobs' transcripts.</summary>
public sealed partial class SqliteJobStore
{
    public Task<int?> AppendStepAsync(JobLease lease, NewJobStep step, CancellationToken ct) =>
        WriteAsync(async (conn, tx) =>
        {
            await using var cmd = LeaseCommand(conn, tx, "append_step", lease);
            cmd.Parameters.AddWithValue("@now", Ts(_time.GetUtcNow()));
            cmd.Parameters.AddWithValue("@kind", step.Kind);
            cmd.Parameters.AddWithValue("@name", step.Name);
            cmd.Parameters.AddWithValue("@input", (object?)step.Input ?? DBNull.Value);
            cmd.Parameters.AddWithValue("@output", (object?)step.Output ?? DBNull.Value);
            cmd.Parameters.AddWithValue("@is_error", step.IsError ? 1 : 0);
            cmd.Parameters.AddWithValue("@duration_ms", (long)step.Duration.TotalMilliseconds);
            cmd.Parameters.AddWithValue("@input_tokens", step.InputTokens);
            cmd.Parameters.AddWithValue("@output_tokens", step.OutputTokens);
            cmd.Parameters.AddWithValue("@cost_usd", step.CostUsd is { } c ? Usd(c) : DBNull.Value);
            cmd.Parameters.AddWithValue("@call_id", (object?)step.CallId ?? DBNull.Value);
            return await cmd.ExecuteScalarAsync(ct) is long index ? (int?)index : null;
        }, ct);

    public Task<IReadOnlyList<JobStep>> ListStepsAsync(long jobId, int afterIndex, int limit, CancellationToken ct) => ReadAsync<IReadOnlyList<JobStep>>(async conn =>
    {
        await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "list_steps"));
        cmd.Parameters.AddWithValue("@job_id", jobId);
        cmd.Parameters.AddWithValue("@after", afterIndex);
        cmd.Parameters.AddWithValue("@limit", Math.Clamp(limit, 1, 10_000));
        var list = new List<JobStep>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new JobStep(r.GetInt64(0), r.GetInt32(1), r.GetInt32(2), ParseTs(r.GetString(3)), r.GetString(4), r.GetString(5),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetInt64(8) != 0, TimeSpan.FromMilliseconds(r.GetInt64(9)),
                r.GetInt64(10), r.GetInt64(11), r.IsDBNull(12) ? null : ParseUsd(r.GetString(12)), r.IsDBNull(13) ? null : r.GetString(13)));
        }
        return list;
    }, ct);

    public Task<JobUsage> GetJobUsageAsync(long jobId, CancellationToken ct) => ReadAsync(async conn =>
    {
        await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "job_usage"));
        cmd.Parameters.AddWithValue("@job_id", jobId);
        int steps = 0, turns = 0;
        long input = 0, output = 0;
        var usd = 0m;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            steps++;
            if (r.GetString(0) == StepKinds.Model) turns++;
            input += r.GetInt64(1);
            output += r.GetInt64(2);
            if (!r.IsDBNull(3)) usd += ParseUsd(r.GetString(3));
        }
        return new JobUsage(steps, turns, input, output, usd);
    }, ct);

    /// <summary>USD as exact decimal text: SQLite's REAL would round sums of many small prices.</summary>
    private static string Usd(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static decimal ParseUsd(string text) => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);
}
