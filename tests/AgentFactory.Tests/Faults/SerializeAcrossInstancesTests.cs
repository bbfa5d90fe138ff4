using System.Globalization;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using AgentFactory.Tests.Postgres;
using AgentFactory.Tests.Support;
using Npgsql;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// Issue 14 item 6: <c>serialize</c> holds across three real orchestrator processes sharing one PostgreSQL queue.
/// Each job appends "s ID" when its script starts and "e ID" when it ends to one file (appends are atomic and
/// ordered by the kernel, whichever process makes them), so the file is the true order of events: for each key no
/// second job may start before the one running has ended, and jobs of one key run in the order they were queued.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class SerializeAcrossInstancesTests
{
    private const int Keys = 6;
    private const int PerKey = 6;

    [PostgresFact]
    public async Task Three_orchestrators_never_run_two_jobs_of_one_serialize_key_at_once_and_keep_each_keys_order()
    {
        await using var db = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var dir = new TempDir();
        var events = dir.File("events.txt");
        var env = FaultEnv.For(dir, $$"""
            { "routes": [],
              "jobs": { "step": { "agent": "step", "maxAttempts": 3, "timeout": "00:01:00" } },
              "agents": { "step": { "kind": "command", "command": ["sh", "-c", "echo \"s $AF_JOB_ID\" >> '{{events}}'; sleep 0.2; echo \"e $AF_JOB_ID\" >> '{{events}}'"], "writablePaths": ["{{dir.Path}}"] } } }
            """, db.ConnectionString);
        env["MAX_CONCURRENT_JOBS"] = "4";
        await using var store = new PostgresJobStore(db.ConnectionString, TimeProvider.System, new QueueSignal());
        await store.MigrateAsync(CancellationToken.None);
        // Queued before the start, round-robin over the keys, so every instance finds work for every key at once.
        var keyOf = new Dictionary<long, string>();
        for (var i = 0; i < Keys * PerKey; i++)
        {
            var key = $"octo/widgets#{i % Keys}";
            keyOf[await store.EnqueueAsync(new NewJob("step", "{}", MaxAttempts: 3, Concurrency: new JobConcurrency(key, ConcurrencyMode.Serialize)), default)] = key;
        }

        var processes = Enumerable.Range(1, 3).Select(i => ServiceProcess.Start(dir.Path, $"orch-{i}", env, "orchestrator")).ToList();
        try
        {
            var owners = new HashSet<string>(StringComparer.Ordinal);
            await FaultScale.Until(async () =>
            {
                owners.UnionWith(await RunningOwnersAsync(db.ConnectionString));
                return (await store.CountJobsByStatusAsync(default))[JobStatus.Completed] == keyOf.Count;
            }, $"all {keyOf.Count} jobs to complete", () => string.Join("\n", processes.Select(p => p.Output)));

            var running = new Dictionary<string, long>(StringComparer.Ordinal);
            var started = keyOf.Values.Distinct().ToDictionary(k => k, _ => new List<long>(), StringComparer.Ordinal);
            var mostAtOnce = 0;
            foreach (var line in File.ReadAllLines(events))
            {
                var id = long.Parse(line[2..], CultureInfo.InvariantCulture);
                var key = keyOf[id];
                if (line[0] == 's')
                {
                    Assert.False(running.TryGetValue(key, out var other), $"job {id} started while job {other} of key {key} was running");
                    running[key] = id;
                    started[key].Add(id);
                    mostAtOnce = Math.Max(mostAtOnce, running.Count);
                }
                else
                {
                    Assert.Equal(id, running[key]);
                    running.Remove(key);
                }
            }
            Assert.Empty(running);
            Assert.All(started.Values, ids => Assert.Equal(ids.Order(), ids));
            Assert.All(started.Values, ids => Assert.Equal(PerKey, ids.Count));
            // The test proves something only if the keys did run side by side, on more than one instance.
            Assert.True(mostAtOnce > 1, "no two keys ever ran at the same time");
            Assert.True(owners.Count > 1, $"only {string.Join(", ", owners)} ran jobs");
        }
        finally
        {
            foreach (var p in processes) p.Dispose();
        }
    }

    private static async Task<List<string>> RunningOwnersAsync(string connectionString)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT DISTINCT lease_owner FROM agent_jobs WHERE status = 'running' AND lease_owner IS NOT NULL", conn);
        var owners = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) owners.Add(reader.GetString(0));
        return owners;
    }
}
