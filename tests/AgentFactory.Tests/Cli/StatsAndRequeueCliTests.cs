using System.Text.Json.Nodes;
using AgentFactory.Cli;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Cli;

/// <summary>`agentfactory stats` and `jobs requeue`, run as the real executable against a real SQLite file.</summary>
public sealed class StatsAndRequeueCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) =>
        AgentFactory.Tests.Support.Cli.RunAsync(_dir.Path, new Dictionary<string, string>(), args);

    /// <summary>A completed "deploy" job, a failed "build" job and a heartbeat, written as the service would.</summary>
    private async Task<(long Completed, long Failed)> SeedAsync()
    {
        using var store = new SqliteJobStore(Path.Combine(_dir.Path, "data", "agentfactory.db"), TimeProvider.System, new QueueSignal());
        await store.MigrateAsync(default);
        var completed = await store.EnqueueAsync(new NewJob("deploy", "{\"env\":\"prod\"}", 2), default);
        var job = (await store.ClaimAsync("w", 1, TimeSpan.FromMinutes(1), default)).Single();
        await store.CompleteAsync(job.Lease, "ok", default);
        var failed = await store.EnqueueAsync(new NewJob("build", "{}", MaxAttempts: 1), default);
        job = (await store.ClaimAsync("w", 1, TimeSpan.FromMinutes(1), default)).Single();
        await store.FailAsync(job.Lease, new JobFailure("compiler crashed", null, null), default);
        await store.RecordHeartbeatAsync("orch-a", "{\"running\":0}", default);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return (completed, failed);
    }

    [Fact]
    public async Task Stats_prints_counts_by_status_and_type_throughput_and_heartbeats()
    {
        await SeedAsync();
        var (exit, output, _) = await Run("stats");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Matches(@"completed\s+1", output);
        Assert.Matches(@"deploy\s+0\s+0\s+1\s+0\s+0", output);
        Assert.Matches(@"last hour\s+1\s+1\s+50[.,]0", output);
        Assert.Contains("orch-a", output, StringComparison.Ordinal);

        (exit, output, _) = await Run("stats", "--json");
        Assert.Equal(ExitCodes.Ok, exit);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(1, json["by_status"]!["failed"]!.GetValue<long>());
        Assert.Equal(1, json["last_24h"]!["completed"]!.GetValue<long>());
        Assert.Equal("orch-a", json["heartbeats"]![0]!["instance"]!.GetValue<string>());
    }

    [Fact]
    public async Task Jobs_requeue_copies_a_completed_job_and_refuses_other_states()
    {
        var (completed, failed) = await SeedAsync();
        var (exit, output, _) = await Run("jobs", "requeue", completed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains($"queued again as job {failed + 1}", output, StringComparison.Ordinal);
        (_, output, _) = await Run("jobs", "show", (failed + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var copy = JsonNode.Parse(output)!;
        Assert.Equal(("deploy", "pending", "prod"), (copy["job_type"]!.GetValue<string>(), copy["status"]!.GetValue<string>(), copy["payload"]!["env"]!.GetValue<string>()));

        var (refused, _, err) = await Run("jobs", "requeue", failed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ExitCodes.NotFound, refused);
        Assert.Contains("only completed jobs", err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotFound, (await Run("jobs", "requeue", "999")).Exit);
    }
}
