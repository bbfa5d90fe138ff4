using System.Diagnostics;
using AgentFactory.Sandbox;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Sandbox;

/// <summary>
/// Nothing a job started outlives it: not a double-forked daemon, not on cancellation, and not when
/// the service itself is SIGKILLed (issue 10 item 2: orphaned agents ran on after kill -9).
/// </summary>
public sealed class SandboxLifetimeTests : IDisposable
{
    private readonly SandboxWorld _world = new();

    [ToolFact("bwrap")]
    public async Task Attack_a_double_forked_setsid_daemon_does_not_survive_the_job()
    {
        var marker = SandboxWorld.Marker();
        var result = await new BubblewrapProcesses().RunAsync(
            _world.Script("(setsid sleep \"$1\" &) ; (nohup sleep \"$1\" >/dev/null 2>&1 &) ; echo spawned", marker), _world.Policy(), CancellationToken.None);

        Assert.Equal("spawned\n", result.Output);
        Assert.Empty(HostScan.With(marker));
    }

    [ToolFact("bwrap")]
    public async Task Cancelling_kills_the_sandbox_and_throws()
    {
        var marker = SandboxWorld.Marker();
        var ready = Path.Combine(_world.Worktree, "ready");
        using var cts = new CancellationTokenSource();
        using var watcher = new FileSystemWatcher(_world.Worktree, "ready") { EnableRaisingEvents = true };
        var created = new TaskCompletionSource();
        watcher.Created += (_, _) => created.TrySetResult();

        var run = new BubblewrapProcesses().RunAsync(_world.Script("(setsid sleep \"$1\" &); touch ready; sleep \"$1\"", marker), _world.Policy(), cts.Token);
        await created.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Empty(HostScan.With(marker));
    }

    [ToolFact("bwrap")]
    public async Task Attack_killing_the_service_with_SIGKILL_leaves_no_sandboxed_process()
    {
        var marker = SandboxWorld.Marker();
        var spec = _world.Script("(setsid sleep \"$1\" &); echo ready; sleep \"$1\"", marker);
        var args = BubblewrapArguments.Build(spec, "/bin/bash", _world.Policy(), SandboxOptions.Default, egressDirectory: null);
        await KillParentAsync(SandboxOptions.Default.Bwrap, args, marker);
    }

    [Fact]
    public async Task Attack_killing_the_service_with_SIGKILL_leaves_no_host_process()
    {
        var marker = SandboxWorld.Marker();
        var launch = HostProcesses.Prepare(new ProcessSpec("/bin/sh", ["-c", "echo ready; exec sleep \"$0\"", marker], SandboxWorld.Env), out _);
        await KillParentAsync(launch.Program, launch.Arguments, marker);
    }

    /// <summary>
    /// A stand-in service (a shell) starts exactly the argv the runner would, the child says "ready", the
    /// stand-in is SIGKILLed, and every process carrying the marker must then go.
    /// </summary>
    private static async Task KillParentAsync(string program, IReadOnlyList<string> args, string marker)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in (string[])["-c", "\"$@\" & wait", "sh", program, .. args]) psi.ArgumentList.Add(a);
        using var parent = Process.Start(psi)!;
        Assert.Equal("ready", await parent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.NotEmpty(HostScan.With(marker));

        parent.Kill(); // SIGKILL: no handler in the parent runs
        await parent.WaitForExitAsync();

        // No event announces the exit of a process that is not our child: wait (bounded) for it to be gone.
        Assert.True(await HostScan.GoneAsync(marker, TimeSpan.FromSeconds(30)), $"still running: {string.Join(", ", HostScan.With(marker))}");
    }

    public void Dispose() => _world.Dispose();
}
