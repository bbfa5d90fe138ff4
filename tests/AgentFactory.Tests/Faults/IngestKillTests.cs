using AgentFactory.Tests.Postgres;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// Scenario 1: the real service is SIGKILLed while signed deliveries stream in. Every delivery that
/// got a 2xx must be in webhook_events with its job; after a restart (and GitHub-style redelivery of
/// what got no 2xx) every delivery is stored once and every job completes.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class IngestKillTests
{
    [Fact]
    public async Task Sqlite_service_killed_mid_stream_keeps_every_acknowledged_delivery_and_runs_them_after_restart()
    {
        using var dir = new TempDir();
        var env = FaultEnv.For(dir, FaultEnv.LogRouting);
        env["MAX_CONCURRENT_JOBS"] = "16"; // the scenario is ingest: drain the backlog quickly afterwards
        await RunAsync("sqlite", dir, env, StoredDeliveries.Sqlite(Path.Combine(dir.File("data"), "agentfactory.db")));
    }

    [PostgresFact]
    public async Task Postgres_service_killed_mid_stream_keeps_every_acknowledged_delivery_and_runs_them_after_restart()
    {
        await using var db = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var dir = new TempDir();
        var env = FaultEnv.For(dir, FaultEnv.LogRouting, db.ConnectionString);
        env["MAX_CONCURRENT_JOBS"] = "16";
        await RunAsync("postgresql", dir, env, StoredDeliveries.Postgres(db.ConnectionString));
    }

    private static async Task RunAsync(string store, TempDir dir, Dictionary<string, string> env, StoredDeliveries db)
    {
        var total = FaultScale.Pick(2_000, 20_000);
        var concurrency = 16;
        var ids = Enumerable.Range(0, total).Select(i => $"kill-{i:D6}").ToList();
        var log = new DeliveryLog();

        using (var first = ServiceProcess.Start(dir.Path, "first", env, "serve"))
        {
            await first.WaitListeningAsync();
            using var http = Load.Client(first.Url!);
            using var stop = new CancellationTokenSource();
            var stream = Load.StreamAsync(http, ids, concurrency, log, stop.Token);
            // Kill once half the deliveries are acknowledged: requests are in flight on every connection.
            await FaultScale.Until(() => Task.FromResult(log.Count(s => s is >= 200 and < 300) >= total / 2 || stream.IsCompleted),
                "half the deliveries to be acknowledged", () => log.Summary() + "\n" + first.Output);
            first.Kill();
            await stop.CancelAsync();
            await stream;
        }

        var acked = log.Acked.ToHashSet();
        var afterKill = await db.ReadAsync();
        var lost = acked.Where(id => !afterKill.TryGetValue(id, out var row) || row.Jobs != 1).ToList();
        var inDoubt = afterKill.Keys.Count(id => !acked.Contains(id)); // committed, but the answer died with the process
        FaultScale.Report($"1. ingest SIGKILL ({store})",
            $"of {total} deliveries, {log.Status.Count} sent before the stream stopped (the last ones into the dead process), {acked.Count} got 2xx, {afterKill.Count} stored, {lost.Count} acknowledged but missing, " +
            $"{inDoubt} stored without a 2xx (committed as the process died), {log.Count(s => s == 0)} without an answer");
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged deliveries are missing or have no job, e.g. {string.Join(", ", lost.Take(5))}");
        Assert.DoesNotContain(log.Status.Values, s => s >= 500);

        // Restart; redeliver everything that got no 2xx (what an operator does from GitHub's Recent Deliveries).
        using var second = ServiceProcess.Start(dir.Path, "second", env, "serve");
        await second.WaitListeningAsync();
        using (var http = Load.Client(second.Url!))
        {
            var retry = ids.Where(id => !acked.Contains(id)).ToList();
            var redelivered = new DeliveryLog();
            await Load.StreamAsync(http, retry, concurrency, redelivered, CancellationToken.None);
            Assert.True(redelivered.Status.Values.All(s => s is 200 or 202), redelivered.Summary());
            Assert.Equal(inDoubt, redelivered.Count(s => s == 200)); // the in-doubt ones are recognised as duplicates
        }

        await FaultScale.Until(async () => await db.CountCompletedAsync() >= total, $"all {total} jobs to complete",
            () => second.Output);
        var final = await db.ReadAsync();
        Assert.Equal(total, final.Count);
        Assert.All(final.Values, r => Assert.Equal((1L, 1L), r));
    }
}
