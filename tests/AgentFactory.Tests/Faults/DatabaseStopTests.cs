using System.Diagnostics;
using System.Net;
using AgentFactory.Tests.Postgres;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// Scenario 3: PostgreSQL stops for a while under a stream of signed deliveries to the real service.
/// Meanwhile deliveries get 503 (and /health says so); no 2xx is given for anything not stored; once
/// the server is back deliveries are accepted again, and after redelivering the refused ones every
/// delivery is stored once and its job completes.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class DatabaseStopTests
{
    [PostgresServerFact]
    public async Task Postgres_stopped_mid_load_answers_503_meanwhile_and_loses_nothing_acknowledged()
    {
        var outage = FaultScale.Pick(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10));
        var phase = FaultScale.Pick(200, 3_000); // acknowledged deliveries before the stop and again after the restart
        await using var server = await PostgresServer.StartPrivateAsync();
        await using var db = await server.CreateDatabaseAsync();
        using var dir = new TempDir();
        var env = FaultEnv.For(dir, FaultEnv.LogRouting, db.ConnectionString);
        var stored = StoredDeliveries.Postgres(db.ConnectionString);

        using var service = ServiceProcess.Start(dir.Path, "serve", env, "serve");
        await service.WaitListeningAsync();
        using var http = Load.Client(service.Url!);
        var log = new DeliveryLog();
        var ids = Enumerable.Range(0, 1_000_000).Select(i => $"outage-{i:D7}").ToList(); // the stream is ended by `stop`, long before
        using var stop = new CancellationTokenSource();
        var stream = Load.StreamAsync(http, ids, 4, log, stop.Token);
        int Acked() => log.Count(s => s is >= 200 and < 300);

        await FaultScale.Until(() => Task.FromResult(Acked() >= phase), $"{phase} deliveries before the stop", () => log.Summary() + service.Output);
        await server.StopAsync();
        var down = Stopwatch.StartNew();
        var ackedAtStop = Acked();
        await FaultScale.Until(() => Task.FromResult(log.Count(s => s == 503) > 0), "a 503 while the database is down", () => log.Summary() + service.Output);
        using (var health = await http.GetAsync("/health"))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        if (down.Elapsed < outage) await Task.Delay(outage - down.Elapsed); // the outage's length is the scenario, not a wait for a condition
        var refusedDuringOutage = log.Count(s => s == 503);
        await server.StartAsync();
        var up = Stopwatch.StartNew();

        var ackedAtRestart = Acked();
        TimeSpan? firstAfter = null;
        await FaultScale.Until(() =>
        {
            if (firstAfter is null && Acked() > ackedAtRestart + 10) firstAfter = up.Elapsed;
            return Task.FromResult(Acked() >= ackedAtRestart + phase);
        }, $"{phase} deliveries after the restart", () => log.Summary() + service.Output);
        await stop.CancelAsync();
        await stream;

        var rows = await stored.ReadAsync();
        var acked = log.Acked.ToHashSet();
        var refused = log.Status.Where(s => s.Value == 503).Select(s => s.Key).ToList();
        var lost = acked.Count(id => !rows.TryGetValue(id, out var r) || r.Jobs != 1);
        var refusedButStored = refused.Count(rows.ContainsKey);
        FaultScale.Report("3. PostgreSQL stopped (pg_ctl stop -m fast)",
            $"{outage.TotalSeconds:0} s outage under 4 concurrent senders; {log.Status.Count} deliveries sent, {acked.Count} got 2xx " +
            $"({ackedAtStop} before the stop, {ackedAtRestart - ackedAtStop} between pg_ctl stop and pg_ctl start returning, {Acked() - ackedAtRestart} after), {refused.Count} got 503, other statuses: " +
            $"{log.Count(s => s is not (200 or 202 or 503))}; {lost} acknowledged but missing, {refusedButStored} refused but stored; " +
            $"first 2xx again {firstAfter?.TotalSeconds:0.0} s after the server accepted connections");

        Assert.Equal(0, lost);
        Assert.True(log.Status.Values.All(s => s is 200 or 202 or 503), log.Summary());
        Assert.True(refusedDuringOutage > 0);

        // Redeliver what was refused (GitHub's Recent Deliveries → Redeliver): accepted now, or a duplicate if it had been stored.
        var redelivered = new DeliveryLog();
        await Load.StreamAsync(http, refused, 8, redelivered, CancellationToken.None);
        Assert.True(redelivered.Status.Values.All(s => s is 200 or 202), redelivered.Summary());
        Assert.Equal(refusedButStored, redelivered.Count(s => s == 200));
        var total = log.Status.Count;
        await FaultScale.Until(async () => await stored.CountCompletedAsync() >= total, $"all {total} jobs to complete", () => service.Output);
        var final = await stored.ReadAsync();
        Assert.Equal(total, final.Count);
        Assert.All(final.Values, r => Assert.Equal((1L, 1L), r));
    }
}
