using AgentFactory.Queue;
using Npgsql;

/// <summary>The growth scenario: M completed jobs in agent_jobs and M events in webhook_events (PostgreSQL only), then VACUUM ANALYZE as autovacuum would.</summary>
internal static class Prefill
{
    public static async Task RunAsync(IJobStore store, string? databaseUrl, string sqlitePath, int rows)
    {
        if (databaseUrl is null) throw new NotSupportedException("--prefill is implemented for PostgreSQL only");
        _ = store;
        _ = sqlitePath;
        // DATABASE_URL may be a postgres:// URL: parse it as the service does.
        await using var conn = new NpgsqlConnection(AgentFactory.Queue.Postgres.PostgresConnectionString.Parse(databaseUrl).ConnectionString);
        await conn.OpenAsync();
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO agent_jobs (job_type, payload, status, attempt, max_attempts, created_at, scheduled_at, started_at, completed_at, output)
            SELECT 'noop', '{"bench":true}', 'completed', 1, 1, now(), now(), now(), now(), 'ok' FROM generate_series(1, $1)
            """, conn) { CommandTimeout = 600 })
        {
            cmd.Parameters.AddWithValue(rows);
            await cmd.ExecuteNonQueryAsync();
        }
        // And as many delivered events (the ingest side of the history: the unique index ingest checks grows with it).
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO webhook_events (delivery_id, hook_id, event_type, received_at, payload, converted_to_job)
            SELECT 'prefill-' || g, '1', 'push', now(), '{"bench":true}', true FROM generate_series(1, $1) g
            """, conn) { CommandTimeout = 600 })
        {
            cmd.Parameters.AddWithValue(rows);
            await cmd.ExecuteNonQueryAsync();
        }
        await using (var vacuum = new NpgsqlCommand("VACUUM ANALYZE agent_jobs, webhook_events", conn) { CommandTimeout = 600 })
            await vacuum.ExecuteNonQueryAsync();
    }
}
