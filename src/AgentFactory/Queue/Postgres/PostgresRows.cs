using System.Data;
using System.Data.Common;
using AgentFactory.Jobs;
using Npgsql;
using NpgsqlTypes;

namespace AgentFactory.Queue.Postgres;

/// <summary>Typed parameters and row readers of the PostgreSQL store.</summary>
internal static class PostgresRows
{
    public static NpgsqlParameter P(string name, NpgsqlDbType type, object? value) => new(name, type) { Value = value ?? DBNull.Value };

    /// <summary>Timestamps are written as UTC; DateTimeOffset.MinValue becomes -infinity (before everything).</summary>
    public static NpgsqlParameter Time(string name, DateTimeOffset value) => P(name, NpgsqlDbType.TimestampTz, value.UtcDateTime);

    public static async Task<HashSet<long>> ReadIdsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var ids = new HashSet<long>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) ids.Add(r.GetInt64(0));
        return ids;
    }

    public static async Task<List<JobRecord>> ReadJobsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<JobRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(ReadJob(r));
        return list;
    }

    public static JobRecord ReadJob(DbDataReader r) => new(
        Id: r.GetInt64("id"),
        JobType: r.GetString("job_type"),
        Payload: r.GetString("payload"),
        Status: JobStatusNames.Parse(r.GetString("status")),
        Priority: r.GetInt32("priority"),
        Attempt: r.GetInt32("attempt"),
        MaxAttempts: r.GetInt32("max_attempts"),
        CreatedAt: r.GetFieldValue<DateTimeOffset>("created_at"),
        ScheduledAt: r.GetFieldValue<DateTimeOffset>("scheduled_at"),
        StartedAt: NullableTs(r, "started_at"),
        CompletedAt: NullableTs(r, "completed_at"),
        Error: NullableString(r, "error"),
        Errors: StoreRows.ParseErrors(r.GetString("errors")),
        Output: NullableString(r, "output"),
        LeaseOwner: NullableString(r, "lease_owner"),
        LeaseExpiresAt: NullableTs(r, "lease_expires_at"),
        EventId: r.IsDBNull("event_id") ? null : r.GetInt64("event_id"),
        Concurrency: JobConcurrency.FromRow(NullableString(r, "concurrency_key"), NullableString(r, "concurrency_mode")));

    public static string? NullableString(DbDataReader r, string column) => r.IsDBNull(column) ? null : r.GetString(column);

    public static DateTimeOffset? NullableTs(DbDataReader r, string column) => r.IsDBNull(column) ? null : r.GetFieldValue<DateTimeOffset>(column);
}
