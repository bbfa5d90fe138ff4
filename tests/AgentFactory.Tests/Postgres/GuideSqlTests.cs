using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AgentFactory.Tests.Postgres;

/// <summary>
/// The statements of the user's guide (DESIGN.md, "Tables — the guide's SQL must work verbatim"),
/// run unchanged against a database the store has populated, each checked for doing what the guide says.
/// The guide's SQL uses the database clock (NOW()), so the store's clock starts three hours in the past.
/// </summary>
public sealed class GuideSqlTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromHours(4);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow.AddHours(-3));
    private TestDatabase _db = null!;
    private PostgresJobStore _store = null!;

    public async Task InitializeAsync()
    {
        _db = await (await PostgresServer.Shared).CreateDatabaseAsync();
        _store = new PostgresJobStore(_db.ConnectionString, _time, new QueueSignal());
        await _store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _db.DisposeAsync();
    }

    [PostgresFact]
    public async Task Recent_jobs_query_returns_the_ten_newest_newest_first()
    {
        var ids = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            ids.Add(await Enqueue());
            _time.Advance(TimeSpan.FromMinutes(1));
        }
        var rows = await QueryAsync("SELECT * FROM agent_jobs ORDER BY created_at DESC LIMIT 10;", "id");
        Assert.Equal(ids.AsEnumerable().Reverse().Take(10), rows.Select(r => (long)r["id"]!));
    }

    [PostgresFact]
    public async Task Status_count_query_matches_the_store_counts()
    {
        var done = await Enqueue();
        await Enqueue();
        await Enqueue();
        await CompleteAsync(done);
        var rows = await QueryAsync("SELECT status, COUNT(*) FROM agent_jobs GROUP BY status;", "status", "count");
        var counts = await _store.CountJobsByStatusAsync(CancellationToken.None);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(counts[JobStatusNames.Parse((string)r["status"]!)], (long)r["count"]!));
    }

    [PostgresFact]
    public async Task Failed_jobs_query_returns_only_failed_jobs_newest_first_with_their_error()
    {
        var older = await FailAsync("first failure");
        _time.Advance(TimeSpan.FromMinutes(1));
        await CompleteAsync(await Enqueue());
        var newer = await FailAsync("second failure");
        var rows = await QueryAsync("SELECT * FROM agent_jobs WHERE status = 'failed' ORDER BY created_at DESC LIMIT 10;", "id", "error");
        Assert.Equal([newer, older], rows.Select(r => (long)r["id"]!));
        Assert.Equal(["second failure", "first failure"], rows.Select(r => (string)r["error"]!));
    }

    [PostgresFact]
    public async Task Stuck_jobs_query_returns_running_jobs_started_over_an_hour_ago()
    {
        var stuck = await ClaimAsync(await Enqueue());        // started 3 h ago
        _time.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(55));
        await ClaimAsync(await Enqueue());                    // started 5 min ago
        await Enqueue();                                      // pending
        var rows = await QueryAsync("SELECT * FROM agent_jobs WHERE status = 'running' AND started_at < NOW() - INTERVAL '1 hour';", "id");
        Assert.Equal([stuck.Id], rows.Select(r => (long)r["id"]!));
    }

    [PostgresFact]
    public async Task Stuck_jobs_update_marks_them_failed_and_fences_out_their_worker()
    {
        var stuck = await ClaimAsync(await Enqueue());
        _time.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(55));
        var recent = await ClaimAsync(await Enqueue());

        var changed = await _db.ExecuteAsync("UPDATE agent_jobs SET status = 'failed', error = 'Job timeout' WHERE status = 'running' AND started_at < NOW() - INTERVAL '1 hour';");

        Assert.Equal(1, changed);
        var row = (await _store.GetJobAsync(stuck.Id, CancellationToken.None))!;
        Assert.Equal(JobStatus.Failed, row.Status);
        Assert.Equal("Job timeout", row.Error);
        Assert.Equal(JobStatus.Running, (await _store.GetJobAsync(recent.Id, CancellationToken.None))!.Status);
        Assert.False(await _store.CompleteAsync(stuck.Lease, "late result", CancellationToken.None));
        Assert.Equal(JobStatus.Failed, (await _store.GetJobAsync(stuck.Id, CancellationToken.None))!.Status);
    }

    [PostgresFact]
    public async Task Heartbeat_query_returns_the_newest_heartbeat_row()
    {
        await _store.RecordHeartbeatAsync("instance-a", "{\"running\":1}", CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        await _store.RecordHeartbeatAsync("instance-b", "{\"running\":2}", CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        await _store.RecordDeliveryAsync(new("d1", "1", "push", null, "o/r", "{}"), [], CancellationToken.None);
        var rows = await QueryAsync("SELECT * FROM webhook_events WHERE event_type = 'heartbeat' ORDER BY received_at DESC LIMIT 1;", "delivery_id", "received_at");
        var row = Assert.Single(rows);
        Assert.Equal("instance-b", row["delivery_id"]);
        Assert.Equal((await _store.GetLastHeartbeatAsync(CancellationToken.None))!.At, new DateTimeOffset((DateTime)row["received_at"]!));
    }

    private Task<long> Enqueue() => _store.EnqueueAsync(new NewJob("github_push", "{\"ref\":\"refs/heads/main\"}", MaxAttempts: 1), CancellationToken.None);

    private async Task<JobRecord> ClaimAsync(long id)
    {
        var job = Assert.Single(await _store.ClaimAsync("worker-1", 1, Lease, CancellationToken.None));
        Assert.Equal(id, job.Id);
        return job;
    }

    private async Task CompleteAsync(long id) => Assert.True(await _store.CompleteAsync((await ClaimAsync(id)).Lease, null, CancellationToken.None));

    private async Task<long> FailAsync(string error)
    {
        var job = await ClaimAsync(await Enqueue());
        Assert.True(await _store.FailAsync(job.Lease, new JobFailure(error, null, null), CancellationToken.None));
        return job.Id;
    }

    /// <summary>Runs the statement exactly as given and returns the named columns of each row.</summary>
    private async Task<List<Dictionary<string, object?>>> QueryAsync(string sql, params string[] columns)
    {
        await using var conn = new NpgsqlConnection(_db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await r.ReadAsync())
            rows.Add(columns.ToDictionary(c => c, c => r.IsDBNull(r.GetOrdinal(c)) ? null : r.GetValue(r.GetOrdinal(c))));
        return rows;
    }
}
