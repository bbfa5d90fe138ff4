using AgentFactory.Sandbox;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Sandbox;

/// <summary>
/// Runaway agents: each script exhausts one resource. The process ends, the result names the limit in
/// the words a user sets it by, and the machine (this test process) is unharmed.
/// </summary>
public sealed class SandboxLimitTests : IDisposable
{
    private static readonly SandboxLimits Small = new(
        MemoryBytes: 256L * 1024 * 1024, Processes: 64, FileSizeBytes: 64L * 1024 * 1024,
        CpuTime: TimeSpan.FromMinutes(5), WallClock: TimeSpan.FromMinutes(2));

    private readonly SandboxWorld _world = new();
    private readonly BubblewrapProcesses _sandbox = new(options: SandboxOptions.Default with { TmpBytes = 16L * 1024 * 1024 });

    [ToolFact("bwrap")]
    public async Task Attack_fork_bomb_ends_at_the_process_limit()
    {
        // dash gives up at the first refused fork ("Cannot fork"), where bash would retry for half a minute.
        var result = await _sandbox.RunAsync(_world.Script("exec /bin/sh -c 'while :; do sleep 600 & done'"), _world.Policy(Small), CancellationToken.None);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("processes", result.Limit);
        Assert.Equal(0, (await new HostProcesses().RunAsync(new ProcessSpec("/bin/true", [], SandboxWorld.Env), CancellationToken.None)).ExitCode);
    }

    [ToolFact("bwrap")]
    public async Task Attack_fork_bomb_ends_at_the_process_limit_when_the_service_runs_as_its_own_user()
    {
        // The deployed service is not root: there the bound is RLIMIT_NPROC counted in the sandbox's own
        // user namespace, with no cgroup. As root (CI), the same command line is started as nobody.
        var policy = new SandboxPolicy(7, [], [], [], Small);
        var spec = new ProcessSpec("/bin/sh", ["-c", "while :; do sleep 600 & done"], SandboxWorld.Env, "/tmp");
        var bwrap = SandboxOptions.Default.Bwrap;
        var args = BubblewrapArguments.Build(spec, "/bin/sh", policy, SandboxOptions.Default, egressDirectory: null);
        var run = Environment.IsPrivilegedProcess
            ? new ProcessSpec("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", bwrap, .. args], SandboxWorld.Env, "/")
            : new ProcessSpec(bwrap, args, SandboxWorld.Env, "/");
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1)); // an unbounded bomb would fail the test here

        var result = await new HostProcesses().RunAsync(run, bound.Token);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Cannot fork", result.Output);
    }

    [ToolFact("bwrap")]
    public async Task Attack_filling_tmp_stops_at_its_size()
    {
        var result = await _sandbox.RunAsync(_world.Script("head -c 100M /dev/zero > /tmp/fill"), _world.Policy(Small), CancellationToken.None);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("temporary space", result.Limit);
    }

    [ToolFact("bwrap")]
    public async Task Attack_writing_a_huge_file_stops_at_the_file_size_limit()
    {
        var limits = Small with { FileSizeBytes = 1024 * 1024 };
        var result = await _sandbox.RunAsync(_world.Script("head -c 10M /dev/zero > big.bin"), _world.Policy(limits), CancellationToken.None);

        Assert.Equal("file size", result.Limit);
        Assert.True(new FileInfo(Path.Combine(_world.Worktree, "big.bin")).Length <= 1024 * 1024);
    }

    [ToolFact("bwrap")]
    public async Task Attack_allocating_without_bound_stops_at_the_memory_limit()
    {
        var result = await _sandbox.RunAsync(_world.Script("a=x; while :; do a=$a$a; done"), _world.Policy(Small), CancellationToken.None);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("memory", result.Limit);
    }

    [ToolFact("bwrap")]
    public async Task Attack_spinning_the_cpu_stops_at_the_cpu_time_limit()
    {
        var limits = Small with { CpuTime = TimeSpan.FromSeconds(1) };
        var result = await _sandbox.RunAsync(_world.Script("while :; do :; done"), _world.Policy(limits), CancellationToken.None);

        Assert.Equal("CPU time", result.Limit);
    }

    [ToolFact("bwrap")]
    public async Task Attack_sleeping_past_the_wall_clock_is_killed_with_its_whole_tree()
    {
        var marker = SandboxWorld.Marker();
        var limits = Small with { WallClock = TimeSpan.FromSeconds(2) };
        var result = await _sandbox.RunAsync(_world.Script("sleep \"$1\" & setsid sleep \"$1\" & sleep \"$1\"", marker), _world.Policy(limits), CancellationToken.None);

        Assert.Equal("wall clock", result.Limit);
        Assert.Empty(HostScan.With(marker));
    }

    [ToolFact("bwrap")]
    public async Task A_clean_run_reports_no_limit()
    {
        var result = await _sandbox.RunAsync(_world.Script("echo fine"), _world.Policy(Small), CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Null(result.Limit);
        Assert.Equal("fine\n", result.Output);
    }

    public void Dispose() => _world.Dispose();
}
