using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>The real `agentfactory serve` process: first run, SIGTERM, and SIGKILL mid-job.</summary>
public sealed class ServiceProcessTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        foreach (var p in _processes.Where(p => !p.HasExited)) p.Kill(entireProcessTree: true);
        _dir.Dispose();
    }

    private (Process Process, Uri Url, List<string> Lines, SemaphoreSlim LineSignal) Serve(Dictionary<string, string> env)
    {
        var port = AgentFactory.Tests.Support.Cli.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}");
        var process = Process.Start(AgentFactory.Tests.Support.Cli.StartInfo(_dir.Path, env, "serve", "--urls", url.ToString()))!;
        _processes.Add(process);
        var lines = new List<string>();
        var signal = new SemaphoreSlim(0);
        process.OutputDataReceived += (_, e) => { if (e.Data is null) return; lock (lines) lines.Add(e.Data); signal.Release(); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is null) return; lock (lines) lines.Add(e.Data); signal.Release(); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, url, lines, signal);
    }

    private static async Task WaitForLineAsync(List<string> lines, SemaphoreSlim signal, string text)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            lock (lines) if (lines.Exists(l => l.Contains(text, StringComparison.Ordinal))) return;
            await signal.WaitAsync(deadline.Token);
        }
    }

    private static async Task Terminate(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    [Fact]
    public async Task First_run_with_nothing_configured_creates_secrets_and_prints_the_github_settings()
    {
        var (process, url, lines, signal) = Serve([]);
        await WaitForLineAsync(lines, signal, "Content type:");

        var secret = Path.Combine(_dir.Path, "data", "webhook-secret");
        var token = Path.Combine(_dir.Path, "data", "manual-token");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(token));
        Assert.True(File.ReadAllText(secret).Trim().Length >= 40);
        string all;
        lock (lines) all = string.Join('\n', lines);
        Assert.Contains("Payload URL:", all, StringComparison.Ordinal);
        Assert.Contains("/webhook/github", all, StringComparison.Ordinal);
        Assert.Contains("application/json", all, StringComparison.Ordinal);
        Assert.Contains(secret, all, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadAllText(secret).Trim(), all, StringComparison.Ordinal); // output is not a terminal

        using var http = new HttpClient { BaseAddress = url };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        var manual = new HttpRequestMessage(HttpMethod.Post, "/webhook/manual");
        manual.Headers.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(token).Trim());
        Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(manual)).StatusCode);

        await Terminate(process);
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task Job_of_a_service_killed_mid_run_is_rescued_after_restart_and_completes()
    {
        var marker = _dir.File("first-attempt-started");
        var sleeper = AgentFactory.Tests.Sandbox.SandboxWorld.Marker();
        var script = Scripts.Write(_dir, "slow.sh", $"if [ -e '{marker}' ]; then echo second attempt; exit 0; fi; echo started > '{marker}'; exec sleep {sleeper}");
        var routing = _dir.File("routing.json");
        await File.WriteAllTextAsync(routing, $$"""
            { "routes": [],
              "jobs": { "slow": { "agent": "slow", "manual": true, "maxAttempts": 3 } },
              "agents": { "slow": { "kind": "command", "command": ["{{script}}"], "writablePaths": ["{{_dir.Path}}"] } } }
            """);
        var env = new Dictionary<string, string>
        {
            ["GITHUB_WEBHOOK_SECRET"] = "a-webhook-secret-of-decent-length",
            ["MANUAL_TRIGGER_TOKEN"] = "a-manual-token-of-decent-length",
            ["AGENTFACTORY_ROUTING"] = routing,
            ["JOB_LEASE_SECONDS"] = "2",
            ["TICK_INTERVAL_SECONDS"] = "1",
        };

        var first = Serve(env);
        await WaitForLineAsync(first.Lines, first.LineSignal, "Now listening");
        using (var http = new HttpClient { BaseAddress = first.Url })
        {
            var manual = new HttpRequestMessage(HttpMethod.Post, "/webhook/manual") { Content = new StringContent("{\"job_type\":\"slow\"}", System.Text.Encoding.UTF8, "application/json") };
            manual.Headers.Authorization = new AuthenticationHeaderValue("Bearer", env["MANUAL_TRIGGER_TOKEN"]);
            Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(manual)).StatusCode);
        }
        await Scripts.WaitForFileAsync(marker);
        Assert.NotEmpty(AgentFactory.Tests.Sandbox.HostScan.With(sleeper));

        first.Process.Kill(); // SIGKILL: no drain, no hand-back
        await first.Process.WaitForExitAsync();
        // Issue 10, item 2: the agent dies with the service, so the rescued retry never overlaps it.
        Assert.True(await AgentFactory.Tests.Sandbox.HostScan.GoneAsync(sleeper, TimeSpan.FromSeconds(10)), "the agent outlived the SIGKILLed service");

        var second = Serve(env);
        using var store = new SqliteJobStore(Path.Combine(_dir.Path, "data", "agentfactory.db"), TimeProvider.System, new QueueSignal());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        JobRecord? job;
        do
        {
            await Task.Delay(100, deadline.Token);
            job = await store.GetJobAsync(1, deadline.Token);
        }
        while (job?.Status != JobStatus.Completed);

        Assert.Equal(2, job.Attempt);
        Assert.Contains("lease expired", Assert.Single(job.Errors).Error, StringComparison.Ordinal);
        Assert.Contains("second attempt", job.Output, StringComparison.Ordinal);
        await Terminate(second.Process);
        await second.Process.WaitForExitAsync(deadline.Token);
    }
}
