using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AgentFactory.Tests.Faults;

/// <summary>Reads what the database holds, straight from the tables (the same on both stores).</summary>
public sealed class StoredDeliveries(string? postgres, string? sqliteFile)
{
    public static StoredDeliveries Sqlite(string file) => new(null, file);
    public static StoredDeliveries Postgres(string connectionString) => new(connectionString, null);

    /// <summary>delivery id → (jobs, completed jobs) for every stored push delivery.</summary>
    public async Task<Dictionary<string, (long Jobs, long Completed)>> ReadAsync()
    {
        const string sql = """
            SELECT e.delivery_id, COUNT(j.id), SUM(CASE WHEN j.status = 'completed' THEN 1 ELSE 0 END)
            FROM webhook_events e LEFT JOIN agent_jobs j ON j.event_id = e.id
            WHERE e.event_type = 'push' GROUP BY e.delivery_id
            """;
        var result = new Dictionary<string, (long, long)>();
        await using var conn = Open();
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            result[reader.GetString(0)] = (Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture), reader.IsDBNull(2) ? 0 : Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture));
        return result;
    }

    /// <summary>Completed jobs, counted on the status index: cheap enough to poll while the service writes.</summary>
    public async Task<long> CountCompletedAsync()
    {
        await using var conn = Open();
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM agent_jobs WHERE status = 'completed'";
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async Task<Dictionary<string, long>> CountJobsByStatusAsync()
    {
        var result = new Dictionary<string, long>();
        await using var conn = Open();
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT status, COUNT(*) FROM agent_jobs GROUP BY status";
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
        return result;
    }

    private System.Data.Common.DbConnection Open() => postgres is not null
        ? new NpgsqlConnection(postgres)
        : new SqliteConnection($"Data Source={sqliteFile};Pooling=False");
}
