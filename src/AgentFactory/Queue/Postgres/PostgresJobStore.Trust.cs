using NpgsqlTypes;
using static AgentFactory.Queue.Postgres.PostgresRows;

namespace AgentFactory.Queue.Postgres;

/// <summary>ITriggerRefusalStore: a job's delivery as the orchestrator's trust check sees it.</summary>
public sealed partial class PostgresJobStore
{
    public Task<string?> GetEventTypeAsync(long eventId, CancellationToken ct) => RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "event_type");
        cmd.Parameters.Add(P("id", NpgsqlDbType.Bigint, eventId));
        return await cmd.ExecuteScalarAsync(ct) as string;
    }, ct);

    public Task RecordTriggerRefusalAsync(long eventId, string refusal, CancellationToken ct) => RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "record_trigger_refusal");
        cmd.Parameters.Add(P("id", NpgsqlDbType.Bigint, eventId));
        cmd.Parameters.Add(P("refusal", NpgsqlDbType.Text, refusal));
        return await cmd.ExecuteNonQueryAsync(ct);
    }, ct);
}
