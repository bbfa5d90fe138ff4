using System.Collections.Concurrent;
using System.Text.Json;
using AgentFactory.Agents;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Queue.Postgres;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Postgres;

/// <summary>Several orchestrator instances on one PostgreSQL database: every job runs exactly once.</summary>
public sealed class MultiInstanceTests
{
    private const string Routing = """
        {
          "routes": [],
          "jobs": { "count": { "agent": "counter", "maxAttempts": 1, "timeout": "00:01:00" } },
          "agents": { "counter": { "kind": "counting" } }
        }
        """;

    [PostgresFact]
    public async Task Three_orchestrators_on_one_database_run_each_of_3000_jobs_exactly_once()
    {
        const int jobCount = 3000;
        await using var db = await (await PostgresServer.Shared).CreateDatabaseAsync();
        var runs = new ConcurrentDictionary<long, ConcurrentBag<string>>();
        var hosts = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => TestService.StartAsync(
            Roles.Orchestrator, Routing,
            o => { o.DatabaseUrl = db.ConnectionString; o.InstanceName = $"orchestrator-{i}"; o.MaxConcurrentJobs = 16; },
            s => s.AddSingleton<IAgentKind>(new CountingAgentKind($"orchestrator-{i}", runs)))));
        try
        {
            // Every instance hears NOTIFY before the work arrives, so each gets a share of it.
            var listeners = hosts.Select(h => (PostgresChangeListener)h.Host.Services.GetRequiredService<AgentFactory.Queue.IQueueChanges>()).ToList();
            using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                while (!listeners.All(l => l.Listening)) await Task.Delay(10, ready.Token);

            var store = hosts[0].Store;
            await Task.WhenAll(Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
            {
                for (var n = w; n < jobCount; n += 6)
                    await store.EnqueueAsync(new NewJob("count", $"{{\"n\":{n}}}", MaxAttempts: 1), CancellationToken.None);
            })));

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while ((await store.CountJobsByStatusAsync(deadline.Token))[JobStatus.Completed] < jobCount)
                await Task.Delay(50, deadline.Token);

            var counts = await store.CountJobsByStatusAsync(CancellationToken.None);
            Assert.Equal(jobCount, counts[JobStatus.Completed]);
            Assert.Equal(jobCount, runs.Count);
            Assert.All(runs, r => Assert.Single(r.Value));
            var perInstance = runs.Values.SelectMany(v => v).GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(3, perInstance.Count); // the work was shared, not done by one instance
        }
        finally
        {
            foreach (var host in hosts) await host.DisposeAsync();
        }
    }

    /// <summary>An agent that records which instance ran which job.</summary>
    private sealed class CountingAgentKind(string instance, ConcurrentDictionary<long, ConcurrentBag<string>> runs) : IAgentKind
    {
        public string Kind => "counting";

        public IAgent Create(string name, JsonElement settings) => new CountingAgent(name, instance, runs);
    }

    private sealed class CountingAgent(string name, string instance, ConcurrentDictionary<long, ConcurrentBag<string>> runs) : IAgent
    {
        public string Name => name;

        public Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
        {
            runs.GetOrAdd(job.Id, _ => []).Add(instance);
            return Task.FromResult(AgentResult.Success());
        }
    }
}
