using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Observability;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Replay;
using AgentFactory.Routing;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Replay;

/// <summary>Which stored deliveries a replay picks, read from a real SQLite queue page by page.</summary>
public sealed class ReplaySelectionTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>450 pull_request deliveries one every 20 minutes (every fifth made no job), with a push between each: 6 days.</summary>
    private async Task<SqliteJobStore> SeedAsync(FakeTimeProvider time)
    {
        var store = new SqliteJobStore(_dir.File("queue.db"), time, new QueueSignal());
        await store.MigrateAsync(default);
        for (var i = 0; i < 450; i++)
        {
            var payload = $$"""{"n":{{i}}}""";
            NewJob[] jobs = i % 5 == 4 ? [] : [new NewJob("github_pull_request", payload, 5, 3)];
            await store.RecordDeliveryAsync(new NewWebhookEvent($"pr-{i}", "1", "pull_request", "opened", "octo/widgets", payload), jobs, default);
            await store.RecordDeliveryAsync(new NewWebhookEvent($"push-{i}", "1", "push", null, "octo/widgets", "{}"), [new NewJob("github_push", "{}", 5, 3)], default);
            time.Advance(TimeSpan.FromMinutes(20));
        }
        return store;
    }

    private static ReplayRunner Runner(SqliteJobStore store, TimeProvider time) =>
        new(store, new RoutingConfig(), new CapturedWrites(), new ReplayUsage(), SecretRedactor.None, time);

    [Fact]
    public async Task Deliveries_of_the_event_since_the_moment_that_made_a_job_are_picked_across_pages_oldest_first()
    {
        var time = new FakeTimeProvider(Start);
        using var store = await SeedAsync(time);
        var since = Start.AddMinutes(20 * 100); // deliveries 100..449: 350, of which 280 made a job

        var found = await Runner(store, time).FindAsync("pull_request", since, 1000, default);

        var expected = Enumerable.Range(100, 350).Where(i => i % 5 != 4).Select(i => $"pr-{i}").ToList();
        Assert.Equal(expected, found.Select(f => f.Delivery.DeliveryId));
        Assert.All(found, f => Assert.Equal(f.Delivery.Payload, f.Job.Payload));
        Assert.All(found, f => Assert.Equal(JobStatus.Pending, f.Job.Status));
    }

    [Fact]
    public async Task The_limit_keeps_the_newest()
    {
        var time = new FakeTimeProvider(Start);
        using var store = await SeedAsync(time);

        var found = await Runner(store, time).FindAsync("pull_request", Start, 30, default);

        var expected = Enumerable.Range(0, 450).Where(i => i % 5 != 4).TakeLast(30).Select(i => $"pr-{i}").ToList();
        Assert.Equal(expected, found.Select(f => f.Delivery.DeliveryId));
    }
}
