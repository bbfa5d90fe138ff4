using System.Net;
using System.Text.Json;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Orchestration;
using AgentFactory.Queue.Postgres;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentFactory.Tests.Postgres;

/// <summary>
/// PostgreSQL stops while the service runs (pg_ctl stop -m fast on a server of the test's own):
/// webhooks are refused with 503 so GitHub records a failed delivery, /health says so (the log says why), the
/// orchestrator keeps running, and once the server is back new deliveries flow within seconds.
/// The webhook and orchestrator roles run as separate hosts, so the job can only start through
/// the LISTEN connection reconnecting (the fallback poll is a minute away).
/// </summary>
public sealed class DatabaseOutageTests
{
    [PostgresServerFact]
    public async Task While_postgres_is_down_webhooks_get_503_then_after_restart_a_new_delivery_runs_within_seconds()
    {
        await using var server = await PostgresServer.StartPrivateAsync();
        await using var db = await server.CreateDatabaseAsync();
        // Pushes run on the built-in log agent: this test is about the database, not GitHub access.
        const string routing = """
            { "routes": [ { "event": "push", "jobType": "github_push" } ], "jobs": { "*": { "agent": "log" } } }
            """;
        await using var ingest = await TestService.StartAsync(Roles.Webhook, routing, configure: o => o.DatabaseUrl = db.ConnectionString);
        await using var orchestrator = await TestService.StartAsync(Roles.Orchestrator, routing, configure: o => o.DatabaseUrl = db.ConnectionString);
        var listener = (PostgresChangeListener)orchestrator.Host.Services.GetRequiredService<AgentFactory.Queue.IQueueChanges>();
        var loop = orchestrator.Host.Services.GetRequiredService<Orchestrator>();

        var before = await DeliverAsync(ingest);
        Assert.Equal(HttpStatusCode.Accepted, before.Status);
        await orchestrator.WaitForJobAsync(before.JobId, JobStatus.Completed);
        await Until(() => listener.Listening);

        await server.StopAsync();

        var refused = await DeliverAsync(ingest);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
        using var health = await ingest.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        using (var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync()))
        {
            var database = body.RootElement.GetProperty("database");
            Assert.Equal("unhealthy", database.GetProperty("status").GetString());
            Assert.Equal("postgresql", database.GetProperty("provider").GetString());
            Assert.False(database.TryGetProperty("error", out _), "the error text (hosts, ports) is for the log, not for anonymous callers");
        }
        await Until(() => !listener.Listening);
        Assert.False(loop.ExecuteTask!.IsCompleted, "the orchestrator loop must outlive the outage");
        Assert.False(orchestrator.Host.Services.GetServices<IHostedService>().OfType<QueueChangesService>().Single().ExecuteTask!.IsCompleted, "the listener must keep trying to reconnect");

        await server.StartAsync();

        var after = await DeliverAsync(ingest);
        Assert.Equal(HttpStatusCode.Accepted, after.Status);
        using (var healthy = await ingest.Http.GetAsync("/health"))
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        using var seconds = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while ((await orchestrator.Store.GetJobAsync(after.JobId, default))!.Status != JobStatus.Completed)
            await Task.Delay(20, seconds.Token);
    }

    [PostgresServerFact]
    public async Task After_a_restart_nobody_noticed_the_first_delivery_is_accepted_not_refused()
    {
        await using var server = await PostgresServer.StartPrivateAsync();
        await using var db = await server.CreateDatabaseAsync();
        await using var ingest = await TestService.StartAsync(Roles.Webhook, configure: o => o.DatabaseUrl = db.ConnectionString);
        Assert.Equal(HttpStatusCode.Accepted, (await DeliverAsync(ingest)).Status); // leaves an idle connection in the pool

        await server.StopAsync();
        await server.StartAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await DeliverAsync(ingest)).Status);
    }

    private static async Task<(HttpStatusCode Status, long JobId)> DeliverAsync(TestService ingest)
    {
        // Each its own body: the same body again would be a replay, answered 200 duplicate.
        using var request = Fixtures.Delivery("push", Fixtures.Modified("push", "push", n => n["test_delivery"] = Guid.NewGuid().ToString()), TestService.Secret);
        using var response = await ingest.Http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Accepted) return (response.StatusCode, 0);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("jobs")[0].GetProperty("id").GetInt64());
    }

    private static Task Until(Func<bool> condition) => Until(() => Task.FromResult(condition()));

    private static async Task Until(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition()) await Task.Delay(20, deadline.Token);
    }
}
