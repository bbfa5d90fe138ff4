using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using AgentFactory.Tests.Postgres;
using AgentFactory.Tests.Support;
using Npgsql;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// Scenario 2: one of three real orchestrator processes is SIGKILLed while thousands of jobs run.
/// Every job ends completed, none stays running, and the only jobs that ran twice are the ones the
/// killed instance was running at that moment (at most its MAX_CONCURRENT_JOBS).
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class OrchestratorKillTests
{
    private const int MaxConcurrent = 4;

    [PostgresFact]
    public Task Killing_one_of_three_orchestrators_completes_every_job_and_reruns_only_its_in_flight_jobs() => KillOneOfThreeAsync(keyed: false);

    /// <summary>The same with serialize concurrency keys in use (50 keys): the victim's keys stay held until its leases expire, then run on.</summary>
    [PostgresFact]
    public Task Killing_one_of_three_orchestrators_with_serialize_keys_in_use_completes_every_job_and_reruns_only_its_in_flight_jobs() => KillOneOfThreeAsync(keyed: true);

    private static async Task KillOneOfThreeAsync(bool keyed)
    {
        var total = FaultScale.Pick(1_000, 10_000);
        await using var db = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var dir = new TempDir();
        var runs = dir.File("runs.txt");
        // Each run appends its job id: a second line for an id is a re-execution.
        var env = FaultEnv.For(dir, $$"""
            { "routes": [],
              "jobs": { "append": { "agent": "append", "maxAttempts": 5, "timeout": "00:01:00" } },
              "agents": { "append": { "kind": "command", "command": ["sh", "-c", "echo $AF_JOB_ID >> '{{runs}}'"], "writablePaths": ["{{dir.Path}}"] } } }
            """, db.ConnectionString);
        env["MAX_CONCURRENT_JOBS"] = MaxConcurrent.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var store = new PostgresJobStore(db.ConnectionString, TimeProvider.System, new QueueSignal());
        await store.MigrateAsync(CancellationToken.None);
        for (var i = 0; i < total; i += 500)
            await InsertJobsAsync(db.ConnectionString, Math.Min(500, total - i), keyed); // queued before the start: all three share the backlog

        var processes = Enumerable.Range(1, 3).Select(i => ServiceProcess.Start(dir.Path, $"orch-{i}", env, "orchestrator")).ToList();
        try
        {
            string Context() => string.Join("\n", processes.Select(p => p.Output));
            var victim = processes[0];
            await FaultScale.Until(async () => Lines(runs) >= total / 3 && (await RunningOf(db, victim.Name)).Count > 0,
                "a third of the jobs to run and the victim to hold running jobs", Context);
            victim.Kill();
            var inFlight = await RunningOf(db, victim.Name); // its leases stop being renewed now; nothing else changes these rows

            await FaultScale.Until(async () => (await store.CountJobsByStatusAsync(default))[JobStatus.Completed] == total, $"all {total} jobs to complete", Context);
            var counts = await store.CountJobsByStatusAsync(CancellationToken.None);
            var perJob = File.ReadAllLines(runs).GroupBy(l => long.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToDictionary(g => g.Key, g => g.Count());
            var reruns = perJob.Where(p => p.Value > 1).Select(p => p.Key).ToHashSet();
            FaultScale.Report(keyed ? "2. orchestrator SIGKILL (postgresql, serialize keys)" : "2. orchestrator SIGKILL (postgresql)",
                $"{total} jobs, 3 instances × MAX_CONCURRENT_JOBS={MaxConcurrent}; the killed one held {inFlight.Count} running; " +
                $"{counts[JobStatus.Completed]} completed, {counts[JobStatus.Running]} running, {perJob.Count} distinct jobs ran, " +
                $"{perJob.Values.Sum() - perJob.Count} re-executions ({reruns.Count} jobs)");

            Assert.Equal(total, counts[JobStatus.Completed]);
            Assert.Equal(0, counts[JobStatus.Running]);
            Assert.Equal(total, perJob.Count);
            // MAX_CONCURRENT_JOBS agents, plus at most as many finished ones whose outcome is still being written.
            Assert.True(inFlight.Count <= 2 * MaxConcurrent, $"the victim held {inFlight.Count} leases");
            Assert.Subset(inFlight.ToHashSet(), reruns); // a job runs twice only if the dead instance held it
            Assert.All(perJob.Values, n => Assert.True(n <= 2, "no job runs more than twice after one crash"));
        }
        finally
        {
            foreach (var p in processes) p.Dispose();
        }
    }

    private static int Lines(string path) => File.Exists(path) ? File.ReadAllLines(path).Length : 0;

    private static async Task<List<long>> RunningOf(TestDatabase db, string owner)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT id FROM agent_jobs WHERE status = 'running' AND lease_owner = @o", conn);
        cmd.Parameters.AddWithValue("o", owner);
        var ids = new List<long>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetInt64(0));
        return ids;
    }

    private static async Task InsertJobsAsync(string connectionString, int count, bool keyed)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(keyed
            ? "INSERT INTO agent_jobs (job_type, payload, max_attempts, concurrency_key, concurrency_mode) SELECT 'append', '{}', 5, 'k' || (i % 50), 'serialize' FROM generate_series(1, @n) i"
            : "INSERT INTO agent_jobs (job_type, payload, max_attempts) SELECT 'append', '{}', 5 FROM generate_series(1, @n)", conn);
        cmd.Parameters.AddWithValue("n", count);
        await cmd.ExecuteNonQueryAsync();
    }
}
