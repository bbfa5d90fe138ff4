using AgentFactory.Sandbox;

namespace AgentFactory.Tests.Sandbox;

/// <summary>The service's own processes: exactly the spec's environment, a bounded output tail, and nothing left running.</summary>
public sealed class HostProcessesTests
{
    private readonly HostProcesses _host = new();

    [Fact]
    public async Task Runs_with_exactly_the_specs_environment()
    {
        var result = await _host.RunAsync(new ProcessSpec("env", [], new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["ONLY"] = "this" }), CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["ONLY=this", "PATH=/usr/bin:/bin"], result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact]
    public async Task Keeps_only_the_tail_of_a_chatty_process_and_counts_it_all()
    {
        var result = await _host.RunAsync(new ProcessSpec("/bin/sh", ["-c", "head -c 100000 /dev/zero | tr '\\0' a; echo END"], SandboxWorld.Env, MaxOutputBytes: 1000), CancellationToken.None);

        Assert.Equal(100_004, result.OutputBytes);
        Assert.True(result.Truncated(1000));
        Assert.EndsWith("aaaEND\n", result.Output);
        Assert.StartsWith("[… 99004 earlier bytes of output dropped]", result.Output);
    }

    [Fact]
    public async Task Attack_a_background_child_is_killed_when_the_program_exits()
    {
        var marker = SandboxWorld.Marker();

        var result = await _host.RunAsync(new ProcessSpec("/bin/sh", ["-c", "sleep \"$0\" & echo started", marker], SandboxWorld.Env), CancellationToken.None);

        Assert.Equal("started\n", result.Output);
        Assert.True(await HostScan.GoneAsync(marker, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Cancelling_kills_the_process_group_and_throws()
    {
        var marker = SandboxWorld.Marker();
        using var dir = new Support.TempDir();
        using var watcher = new FileSystemWatcher(dir.Path, "ready") { EnableRaisingEvents = true };
        var ready = new TaskCompletionSource();
        watcher.Created += (_, _) => ready.TrySetResult();
        using var cts = new CancellationTokenSource();
        var run = _host.RunAsync(new ProcessSpec("/bin/sh", ["-c", "sleep \"$0\" & touch ready; sleep \"$0\"", marker], SandboxWorld.Env, dir.Path), cts.Token);
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(await HostScan.GoneAsync(marker, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_missing_program_is_reported_by_name()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => _host.RunAsync(new ProcessSpec("no-such-tool", [], SandboxWorld.Env), CancellationToken.None));

        Assert.Contains("'no-such-tool': not found on PATH", e.Message);
    }
}
