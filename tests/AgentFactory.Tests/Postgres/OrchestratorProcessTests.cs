using System.Diagnostics;
using System.Text;
using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Postgres;

/// <summary>
/// Real `agentfactory orchestrator` processes on one database, one of them killed with SIGKILL while
/// it runs jobs: its leases expire (JOB_LEASE_SECONDS=2), the survivors rescue the jobs, and every
/// job ends completed.
/// </summary>
public sealed class OrchestratorProcessTests
{
    private const string Routing = """
        {
          "routes": [],
          "jobs": { "slow": { "agent": "sleeper", "maxAttempts": 3, "timeout": "00:01:00" } },
          "agents": { "sleeper": { "kind": "command", "command": ["sleep", "1"] } }
        }
        """;

    [PostgresFact]
    public async Task An_orchestrator_killed_mid_run_loses_no_job_and_leaves_none_running()
    {
        const int jobCount = 30;
        await using var db = await (await PostgresServer.Shared).CreateDatabaseAsync();
        using var dir = new TempDir();
        File.WriteAllText(dir.File("routing.json"), Routing);
        await using var store = new PostgresJobStore(db.ConnectionString, TimeProvider.System, new QueueSignal());
        await store.MigrateAsync(CancellationToken.None);

        var processes = Enumerable.Range(1, 3).Select(i => OrchestratorProcess.Start($"proc-{i}", db.Uri, dir)).ToList();
        try
        {
            await Until(async () => (await store.ListEventsAsync(new EventQuery("heartbeat"), default)).Count == 3, "all three orchestrators to write a heartbeat", processes);
            for (var i = 0; i < jobCount; i++) await store.EnqueueAsync(new NewJob("slow", "{}", MaxAttempts: 3), CancellationToken.None);

            var victim = processes[0];
            await Until(async () => (await store.ListJobsAsync(new JobQuery(JobStatus.Running), default)).Any(j => j.LeaseOwner == victim.Name),
                "the victim to run a job", processes);
            victim.Kill();

            await Until(async () => (await store.CountJobsByStatusAsync(default))[JobStatus.Completed] == jobCount, "every job to complete", processes);
            var jobs = await store.ListJobsAsync(new JobQuery(Limit: 1000), CancellationToken.None);
            Assert.All(jobs, j => Assert.Equal(JobStatus.Completed, j.Status));
            Assert.DoesNotContain(jobs, j => j.LeaseOwner is not null);
            var rescued = jobs.Where(j => j.Errors.Any(e => e.Error.Contains($"worker {victim.Name} stopped renewing", StringComparison.Ordinal))).ToList();
            Assert.NotEmpty(rescued);
            Assert.All(rescued, j => Assert.True(j.Attempt >= 2));
        }
        finally
        {
            foreach (var p in processes) p.Kill();
        }
    }

    private static async Task Until(Func<Task<bool>> condition, string what, IReadOnlyList<OrchestratorProcess> processes)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Timed out waiting for {what}. Output:\n" + string.Join("\n", processes.Select(p => $"--- {p.Name}:\n{p.Output}")));
            await Task.Delay(50);
        }
    }

    /// <summary>`dotnet agentfactory.dll orchestrator` with the settings a user would set, its output kept for failure messages.</summary>
    private sealed class OrchestratorProcess
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private OrchestratorProcess(string name, Process process)
        {
            Name = name;
            _process = process;
        }

        public string Name { get; }

        public string Output
        {
            get { lock (_output) return _output.ToString(); }
        }

        public static OrchestratorProcess Start(string name, string databaseUrl, TempDir dir)
        {
            var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
            var psi = new ProcessStartInfo(dotnet)
            {
                WorkingDirectory = dir.Path,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "agentfactory.dll"));
            psi.ArgumentList.Add("orchestrator");
            foreach (var key in new[] { "SUPABASE_URL", "SUPABASE_KEY", "SUPABASE_DB_URL", "GITHUB_WEBHOOK_SECRET", "MANUAL_TRIGGER_TOKEN" })
                psi.Environment.Remove(key);
            psi.Environment["DATABASE_URL"] = databaseUrl;
            psi.Environment["INSTANCE_NAME"] = name;
            psi.Environment["JOB_LEASE_SECONDS"] = "2";
            psi.Environment["TICK_INTERVAL_SECONDS"] = "1";
            psi.Environment["MAX_CONCURRENT_JOBS"] = "3";
            psi.Environment["AGENTFACTORY_ROUTING"] = dir.File("routing.json");
            psi.Environment["AGENTFACTORY_DATA_DIR"] = dir.File("data-" + name);
            psi.Environment["GIT_SYNC_ENABLED"] = "false";
            psi.Environment["ORCHESTRATOR_LOG_LEVEL"] = "WARNING";
            var process = Process.Start(psi)!;
            var started = new OrchestratorProcess(name, process);
            process.OutputDataReceived += (_, e) => started.Append(e.Data);
            process.ErrorDataReceived += (_, e) => started.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return started;
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
        }

        /// <summary>SIGKILL: no drain, no hand-back; the leases simply stop being renewed.</summary>
        public void Kill()
        {
            try
            {
                if (!_process.HasExited) _process.Kill();
                _process.WaitForExit(10_000);
            }
            catch (InvalidOperationException) { }
            _process.Dispose();
        }
    }
}
