using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// Scenario 4: command agents that hang, flood stdout, keep failing, or fork children and exit, all run
/// by the real service. Each is contained (process tree killed, output capped, retries by the policy)
/// and the orchestrator keeps completing ordinary jobs on its other slots meanwhile.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class MisbehavingAgentTests
{
    [Fact]
    public async Task Hanging_flooding_failing_and_forking_agents_are_contained_while_other_jobs_keep_completing()
    {
        var floodBytes = (long)FaultScale.Pick(100, 2_048) << 20;
        var normalJobs = FaultScale.Pick(20, 100);
        var hangTimeout = FaultScale.Pick(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)); // long enough for the ordinary jobs to finish first
        using var dir = new TempDir();
        // The sandbox has its own pid namespace: the test finds the agents' processes on the host by markers in their command lines.
        var (hangMark, forkMark, orphanMark) = (AgentFactory.Tests.Sandbox.SandboxWorld.Marker(), AgentFactory.Tests.Sandbox.SandboxWorld.Marker(), AgentFactory.Tests.Sandbox.SandboxWorld.Marker());
        var hang = Scripts.Write(dir, "hang.sh", $"sleep {hangMark} & echo started > \"$AF_WORKSPACE/started\"; wait");
        var fork = Scripts.Write(dir, "fork.sh", $"sleep {forkMark} & (sleep {orphanMark} &); echo forked; exit 0");
        var env = FaultEnv.For(dir, $$"""
            { "routes": [],
              "jobs": {
                "hang":   { "agent": "hang",   "manual": true, "maxAttempts": 1, "timeout": "{{hangTimeout}}" },
                "flood":  { "agent": "flood",  "manual": true, "maxAttempts": 1 },
                "fail":   { "agent": "fail",   "manual": true, "maxAttempts": 3 },
                "fork":   { "agent": "fork",   "manual": true, "maxAttempts": 1 },
                "normal": { "agent": "normal", "manual": true, "maxAttempts": 1 } },
              "agents": {
                "hang":   { "kind": "command", "command": ["{{hang}}"] },
                "flood":  { "kind": "command", "command": ["sh", "-c", "yes 'flood flood flood flood' | head -c {{floodBytes}}"] },
                "fail":   { "kind": "command", "command": ["sh", "-c", "echo attempt $AF_ATTEMPT; exit 3"] },
                "fork":   { "kind": "command", "command": ["{{fork}}"] },
                "normal": { "kind": "command", "command": ["true"] } } }
            """);
        env["MAX_CONCURRENT_JOBS"] = "4";
        env["RETRY_BASE_DELAY_SECONDS"] = "1";
        env["RETRY_MAX_DELAY_SECONDS"] = "60";

        using var service = ServiceProcess.Start(dir.Path, "serve", env, "serve");
        await service.WaitListeningAsync();
        using var http = new HttpClient { BaseAddress = service.Url, Timeout = TimeSpan.FromSeconds(30) };
        using var store = new SqliteJobStore(Path.Combine(dir.File("data"), "agentfactory.db"), TimeProvider.System, new QueueSignal());
        async Task<long> Trigger(string type)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/manual") { Content = new StringContent($"{{\"job_type\":\"{type}\"}}", System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", FaultEnv.Token);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return body.RootElement.GetProperty("job_id").GetInt64();
        }
        async Task<JobRecord> Job(long id) => (await store.GetJobAsync(id, CancellationToken.None))!;
        Task WaitFor(long id, params JobStatus[] statuses) =>
            FaultScale.Until(async () => Array.IndexOf(statuses, (await Job(id)).Status) >= 0, $"job {id} to be {string.Join('/', statuses)}", () => service.Output);

        var rssBefore = service.RssMb();
        var hangId = await Trigger("hang");
        await FaultScale.Until(() => Task.FromResult(AgentFactory.Tests.Sandbox.HostScan.With(hangMark).Count > 0), "the hanging agent to start", () => service.Output);
        var floodId = await Trigger("flood");
        var failId = await Trigger("fail");
        var forkId = await Trigger("fork");

        // While the hanging job holds a slot (and the others take theirs), ordinary jobs keep completing.
        var normal = new List<long>();
        for (var i = 0; i < normalJobs; i++) normal.Add(await Trigger("normal"));
        foreach (var id in normal) await WaitFor(id, JobStatus.Completed, JobStatus.Failed);
        var hangWhileNormalDone = (await Job(hangId)).Status;

        await WaitFor(floodId, JobStatus.Completed, JobStatus.Failed);
        var rssAfterFlood = service.RssMb();
        await WaitFor(forkId, JobStatus.Completed, JobStatus.Failed);
        Assert.True(await AgentFactory.Tests.Sandbox.HostScan.GoneAsync(forkMark, TimeSpan.FromSeconds(30)), "the forking agent's child outlived its job");
        Assert.True(await AgentFactory.Tests.Sandbox.HostScan.GoneAsync(orphanMark, TimeSpan.FromSeconds(30)), "the forking agent's double-forked child outlived its job");
        await WaitFor(failId, JobStatus.Failed);
        await WaitFor(hangId, JobStatus.Failed);
        Assert.True(await AgentFactory.Tests.Sandbox.HostScan.GoneAsync(hangMark, TimeSpan.FromSeconds(30)), "the hanging agent's child outlived its timeout");

        var flood = await Job(floodId);
        var fail = await Job(failId);
        var gaps = fail.Errors.Zip(fail.Errors.Skip(1), (a, b) => (b.At - a.At).TotalSeconds).ToList();
        FaultScale.Report("4. misbehaving agents (sqlite, real serve process)",
            $"hang: killed at its {hangTimeout.TotalSeconds:0} s timeout with its child ({(await Job(hangId)).Error}); {normalJobs} ordinary jobs completed while it was {hangWhileNormalDone}; " +
            $"flood: {floodBytes >> 20} MB to stdout, {flood.Output!.Length / 1024} KB kept, RSS {rssBefore:0} MB before → {rssAfterFlood:0} MB after; " +
            $"fail: {fail.Attempt} attempts, gaps {string.Join(" s, ", gaps.Select(g => g.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))} s (base 1 s × 2^(n−1) ± 25 %); " +
            $"fork: background child killed when the script exited");

        Assert.All(normal, id => Assert.Equal(JobStatus.Completed, Job(id).Result.Status));
        Assert.Equal(JobStatus.Running, hangWhileNormalDone);
        Assert.Contains("timed out", (await Job(hangId)).Error, StringComparison.Ordinal);

        Assert.Equal(JobStatus.Completed, flood.Status);
        Assert.True(flood.Output.Length <= 64 * 1024 + 100, $"output kept: {flood.Output.Length} chars");
        Assert.Contains("earlier bytes of output dropped", flood.Output, StringComparison.Ordinal);
        Assert.True(rssAfterFlood - rssBefore < 100, $"RSS grew from {rssBefore:0} MB to {rssAfterFlood:0} MB while {floodBytes >> 20} MB streamed through");

        Assert.Equal(3, fail.Attempt);
        Assert.Equal(3, fail.Errors.Count);
        Assert.Contains("exited with code 3", fail.Error, StringComparison.Ordinal);
        // Never earlier than the policy allows: attempt n+1 is not due before 0.75 × 1 s × 2^(n−1) after attempt n failed.
        for (var n = 1; n <= gaps.Count; n++) Assert.True(gaps[n - 1] >= 0.75 * Math.Pow(2, n - 1), $"gap {n}: {gaps[n - 1]} s");

        Assert.Equal(JobStatus.Completed, (await Job(forkId)).Status);
    }
}
