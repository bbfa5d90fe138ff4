using Microsoft.Data.Sqlite;

namespace AgentFactory.Queue.Sqlite;

/// <summary>ITriggerRefusalStore: a job's delivery as the orchestrator's trust check sees it.</summary>
public sealed partial class SqliteJobStore
{
    public Task<string?> GetEventTypeAsync(long eventId, CancellationToken ct) => ReadAsync(async conn =>
    {
        await using var cmd = Command(conn, null, SqlScripts.Get(Driver, "event_type"));
        cmd.Parameters.AddWithValue("@id", eventId);
        return await cmd.ExecuteScalarAsync(ct) as string;
    }, ct);

    public Task RecordTriggerRefusalAsync(long eventId, string refusal, CancellationToken ct) => WriteAsync(async (conn, tx) =>
    {
        await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "record_trigger_refusal"));
        cmd.Parameters.Add(new SqliteParameter("@id", eventId));
        cmd.Parameters.Add(new SqliteParameter("@refusal", refusal));
        return await cmd.ExecuteNonQueryAsync(ct);
    }, ct);
}
