using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>
/// Only live orchestrators are reported: /health, doctor, GET /api/stats and the dashboard apply one
/// rule (a heartbeat at most 3 × TICK_INTERVAL_SECONDS old); a clean stop deletes the row at once, a
/// process that never started writes none, and the rows of dead instances are pruned within ticks.
/// </summary>
public sealed class LivenessTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A heartbeat row as an instance wrote it <paramref name="ago"/> (its own clock), on the service's database file.</summary>
    private static async Task WriteHeartbeatAsync(string dataDir, string instance, TimeSpan ago)
    {
        using var store = new SqliteJobStore(Path.Combine(dataDir, "agentfactory.db"), new FakeTimeProvider(DateTimeOffset.UtcNow - ago), new QueueSignal());
        await store.MigrateAsync(default);
        await store.RecordHeartbeatAsync(instance, "{\"running\":0,\"max_concurrent_jobs\":3}", default);
    }

    private static async Task<JsonObject> JsonAsync(HttpClient http, string path) =>
        (await http.GetFromJsonAsync<JsonObject>(path))!;

    private async Task<(int Exit, string Out, string Err)> ServeOnATakenPortAsync()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var env = new Dictionary<string, string> { ["TICK_INTERVAL_SECONDS"] = "1", ["JOB_LEASE_SECONDS"] = "2" };
        return await Support.Cli.RunAsync(_dir.Path, env, "serve", "--urls", $"http://127.0.0.1:{port}");
    }

    [Fact]
    public async Task A_serve_whose_port_is_taken_writes_no_heartbeat()
    {
        var (exit, _, _) = await ServeOnATakenPortAsync();

        Assert.Equal(AgentFactory.Cli.ExitCodes.Failure, exit);
        using var store = new SqliteJobStore(Path.Combine(_dir.Path, "data", "agentfactory.db"), TimeProvider.System, new QueueSignal());
        Assert.Null(await store.GetLastHeartbeatAsync(default));
    }

    [Fact]
    public async Task A_port_in_use_prints_what_to_do_and_no_stack_trace()
    {
        var (exit, output, err) = await ServeOnATakenPortAsync();

        Assert.Equal(AgentFactory.Cli.ExitCodes.Failure, exit);
        Assert.Contains("Cannot listen", err, StringComparison.Ordinal);
        Assert.Contains("--urls", err, StringComparison.Ordinal);
        // The framework's own report of the failure (a stack trace of several KB) is not printed.
        Assert.DoesNotContain("   at ", output + err, StringComparison.Ordinal);
        Assert.DoesNotContain("System.IO.IOException", output + err, StringComparison.Ordinal);
        Assert.True(output.Length + err.Length < 600, output + err);
    }

    [Fact]
    public async Task A_clean_stop_makes_health_stats_and_doctor_say_stopped_at_once()
    {
        await using var web = await TestService.StartAsync(Roles.Webhook, configure: o => o.TickInterval = TimeSpan.FromSeconds(60));
        await using var orchestrator = await TestService.StartAsync(Roles.Orchestrator, configure: o =>
        {
            o.DataDirectory = web.DataDir;
            o.TickInterval = TimeSpan.FromSeconds(60);
        });
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (await web.Store.GetLastHeartbeatAsync(deadline.Token) is null) await Task.Delay(20, deadline.Token);
        Assert.Equal("ok", (await JsonAsync(web.Http, "/health"))["orchestrator"]!.GetValue<string>());
        Assert.Single((await JsonAsync(web.Admin, "/api/stats"))["heartbeats"]!.AsArray());

        await orchestrator.Host.StopAsync(); // SIGTERM's path: a 60 s tick would have kept the row "alive" for three minutes
        await web.Store.EnqueueAsync(new NewJob("waiting", "{}"), default);

        var health = await JsonAsync(web.Http, "/health");
        Assert.Equal("stopped", health["orchestrator"]!.GetValue<string>());
        Assert.Equal("degraded", health["status"]!.GetValue<string>());
        Assert.Empty((await JsonAsync(web.Admin, "/api/stats"))["heartbeats"]!.AsArray());
        var (_, doctor, _) = await Support.Cli.RunAsync(_dir.Path, new Dictionary<string, string> { ["AGENTFACTORY_DATA_DIR"] = web.DataDir }, "doctor");
        Assert.Contains("no orchestrator is running", doctor, StringComparison.Ordinal);
        Assert.Contains("1 job(s) are waiting", doctor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Heartbeat_rows_of_dead_instances_are_pruned_after_ten_ticks_not_after_the_event_retention()
    {
        await WriteHeartbeatAsync(_dir.Path, "killed-with-sigkill", TimeSpan.FromMinutes(5));
        await using var service = await TestService.StartAsync(Roles.Both, configure: o =>
        {
            o.DataDirectory = _dir.Path;
            o.TickInterval = TimeSpan.FromSeconds(1);
            o.RetentionEvents = TimeSpan.FromDays(30);
        });

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await service.Store.ListEventsAsync(new Events.EventQuery("heartbeat"), deadline.Token)).Any(e => e.DeliveryId == "killed-with-sigkill"))
            await Task.Delay(20, deadline.Token);
        var rows = await service.Store.ListEventsAsync(new Events.EventQuery("heartbeat"), default);
        Assert.Equal(service.Options.InstanceName, Assert.Single(rows).DeliveryId);
    }

    [Fact]
    public async Task A_heartbeat_past_three_ticks_is_dead_for_health_and_the_dashboard_alike()
    {
        // 10 s old at a 1 s tick: the dashboard's old fixed 180 s would still have called it alive.
        await WriteHeartbeatAsync(_dir.Path, "silent-instance", TimeSpan.FromSeconds(10));
        await using var service = await TestService.StartAsync(Roles.Webhook, configure: o =>
        {
            o.DataDirectory = _dir.Path;
            o.TickInterval = TimeSpan.FromSeconds(1);
        });
        await service.Store.EnqueueAsync(new NewJob("waiting", "{}"), default);

        var health = await JsonAsync(service.Http, "/health");
        Assert.Equal("stale", health["orchestrator"]!.GetValue<string>());
        var stats = await JsonAsync(service.Admin, "/api/stats");
        Assert.Empty(stats["heartbeats"]!.AsArray());
        Assert.Equal(3, stats["liveness_seconds"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_heartbeat_within_three_ticks_is_alive_everywhere_even_when_older_than_180_seconds()
    {
        await WriteHeartbeatAsync(_dir.Path, "slow-ticker", TimeSpan.FromSeconds(400));
        await using var service = await TestService.StartAsync(Roles.Webhook, configure: o =>
        {
            o.DataDirectory = _dir.Path;
            o.TickInterval = TimeSpan.FromSeconds(300);
        });

        Assert.Equal("ok", (await JsonAsync(service.Http, "/health"))["orchestrator"]!.GetValue<string>());
        var live = Assert.Single((await JsonAsync(service.Admin, "/api/stats"))["heartbeats"]!.AsArray())!;
        Assert.Equal("slow-ticker", live["instance"]!.GetValue<string>());
        Assert.DoesNotContain("180", await service.Admin.GetStringAsync("/dashboard/assets/app.js"), StringComparison.Ordinal);
    }
}
