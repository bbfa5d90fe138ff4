using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AgentFactory.Tests.Faults;

/// <summary>One job as the soak reads it back: its delivery (null for a manual job), type, status and attempts.</summary>
public sealed record SoakJob(long Id, string? DeliveryId, string EventType, string JobType, string Status, int Attempt, string? Error);

/// <summary>The soak's reads, straight from the tables, the same SQL on SQLite and PostgreSQL.</summary>
public sealed class SoakDatabase(string? postgres, string? sqliteFile)
{
    public async Task<List<SoakJob>> JobsAsync()
    {
        const string sql = """
            SELECT j.id, e.delivery_id, e.event_type, j.job_type, j.status, j.attempt, j.error
            FROM agent_jobs j LEFT JOIN webhook_events e ON e.id = j.event_id ORDER BY j.id
            """;
        var jobs = new List<SoakJob>();
        await using var conn = await OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            jobs.Add(new SoakJob(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture),
                reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? "" : reader.GetString(2), reader.GetString(3), reader.GetString(4),
                Convert.ToInt32(reader.GetValue(5), CultureInfo.InvariantCulture), reader.IsDBNull(6) ? null : reader.GetString(6)));
        return jobs;
    }

    /// <summary>delivery id → how many webhook_events rows it has (a duplicate stored twice would show 2).</summary>
    public async Task<Dictionary<string, long>> EventsPerDeliveryAsync()
    {
        var rows = new Dictionary<string, long>();
        await using var conn = await OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT delivery_id, COUNT(*) FROM webhook_events WHERE event_type IN ('push', 'release') GROUP BY delivery_id";
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
        return rows;
    }

    /// <summary>The jobs a (dead) instance held: nothing changes these rows until their leases expire.</summary>
    public async Task<List<long>> RunningOfAsync(string owner)
    {
        await using var conn = await OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT id FROM agent_jobs WHERE status = 'running' AND lease_owner = @o";
        var p = cmd.CreateParameter();
        p.ParameterName = "@o";
        p.Value = owner;
        cmd.Parameters.Add(p);
        var ids = new List<long>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture));
        return ids;
    }

    public async Task<long> UnfinishedAsync()
    {
        await using var conn = await OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM agent_jobs WHERE status IN ('pending', 'running')";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private async Task<DbConnection> OpenAsync()
    {
        DbConnection conn = postgres is not null ? new NpgsqlConnection(postgres) : new SqliteConnection($"Data Source={sqliteFile};Pooling=False");
        await conn.OpenAsync();
        return conn;
    }
}
