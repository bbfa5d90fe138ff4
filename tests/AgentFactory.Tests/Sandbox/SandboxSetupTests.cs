using AgentFactory.Sandbox;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Sandbox;

/// <summary>The sandbox's command line and its availability check.</summary>
public sealed class SandboxSetupTests : IDisposable
{
    private readonly SandboxWorld _world = new();

    [Fact]
    public void A_worktree_inside_a_hidden_data_directory_is_mounted_after_the_data_directory_is_emptied()
    {
        var args = BubblewrapArguments.Build(_world.Script("true"), "/bin/bash", _world.Policy(), SandboxOptions.Default, null);

        var hide = args.IndexOf(_world.DataDirectory);
        var bind = args.FindIndex(a => a == _world.Worktree);
        Assert.Equal("--tmpfs", args[hide - 1]);
        Assert.Equal("--bind", args[bind - 1]);
        Assert.True(hide < bind);
        Assert.True(args.LastIndexOf(_world.DataDirectory) > bind); // then the emptied directory is made read-only
        Assert.Equal("--remount-ro", args[args.LastIndexOf(_world.DataDirectory) - 1]);
    }

    [Theory]
    [InlineData("relative/path", "must be absolute")]
    [InlineData("/", "may not include '/'")]
    [InlineData("/no/such/worktree", "does not exist")]
    public void A_bad_writable_path_is_refused_with_what_to_do(string path, string message)
    {
        var policy = _world.Policy() with { WritablePaths = [path] };

        var e = Assert.Throws<InvalidOperationException>(() => BubblewrapArguments.Build(_world.Script("true"), "/bin/bash", policy, SandboxOptions.Default, null));

        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void An_environment_variable_name_with_an_equals_sign_is_refused()
    {
        var spec = _world.Script("true") with { Environment = new Dictionary<string, string> { ["A=B"] = "x" } };

        Assert.Throws<InvalidOperationException>(() => BubblewrapArguments.Build(spec, "/bin/bash", _world.Policy(), SandboxOptions.Default, null));
    }

    [ToolFact("bwrap", "socat")]
    public async Task The_sandbox_is_available_where_bubblewrap_and_socat_are_installed()
    {
        var check = await SandboxAvailability.CheckAsync();

        Assert.True(check.CanRun, string.Join(" ", check.Problems));
        Assert.True(check.CanReachNetwork);
        Assert.StartsWith("sandbox: available", check.Summary);
    }

    [Fact]
    public async Task Without_bubblewrap_the_check_says_what_to_install()
    {
        var check = await SandboxAvailability.CheckAsync(SandboxOptions.Default with { Bwrap = "/nonexistent/bwrap", Socat = "/nonexistent/socat" });

        Assert.False(check.CanRun);
        Assert.False(check.CanReachNetwork);
        Assert.Contains("apt-get install bubblewrap socat", check.Summary);
    }

    [Fact]
    public void The_opt_out_is_described_as_unsafe_with_what_it_exposes()
    {
        var text = SandboxAvailability.UnsafeDescription("deploy");

        Assert.StartsWith("UNSAFE: agent 'deploy' runs with sandbox: false", text);
        Assert.Contains(".env", text);
    }

    [ToolFact("bwrap")]
    public async Task An_opted_out_agent_runs_unconfined_but_still_within_its_limits()
    {
        var policy = _world.Policy(SandboxLimits.Default with { WallClock = TimeSpan.FromSeconds(2) }) with { Enabled = false };

        var result = await new BubblewrapProcesses().RunAsync(_world.Script("cat \"$1/admin-token\"; sleep 600", _world.DataDirectory), policy, CancellationToken.None);

        Assert.Contains(SandboxWorld.Secret, result.Output);
        Assert.Equal("wall clock", result.Limit);
    }

    public void Dispose() => _world.Dispose();
}
