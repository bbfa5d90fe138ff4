using System.Collections.Concurrent;
using AgentFactory.Sandbox;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Sandbox;

/// <summary>A program's stdout followed line by line while it runs (a coding CLI's event stream), bounded per line.</summary>
public sealed class OutputLinesTests : IDisposable
{
    private readonly SandboxWorld _world = new();

    public void Dispose() => _world.Dispose();

    [ToolFact("bwrap")]
    public async Task Lines_arrive_while_the_sandboxed_program_still_runs_and_in_order()
    {
        var lines = new BlockingCollection<string>();
        var go = Path.Combine(_world.Worktree, "go");
        // The program prints, then waits for the test to have seen that line before it goes on.
        var spec = _world.Script("echo '{\"n\":1}'; echo oops >&2; until [ -e go ]; do sleep 0.01; done; printf 'two\\r\\nlast-without-newline'") with { OnStdoutLine = lines.Add };

        var run = new BubblewrapProcesses().RunAsync(spec, _world.Policy(), CancellationToken.None);
        Assert.True(lines.TryTake(out var first, TimeSpan.FromSeconds(30)));
        await File.WriteAllTextAsync(go, "");
        var result = await run;

        Assert.Equal("{\"n\":1}", first);
        Assert.Equal(["two", "last-without-newline"], lines.ToArray());
        Assert.Contains("oops", result.Output); // stderr is in the tail, not a line
        Assert.Contains("last-without-newline", result.Output);
    }

    [Fact]
    public async Task Attack_one_endless_line_is_cut_at_the_line_bound_and_the_next_line_still_arrives()
    {
        var lines = new List<string>();
        var spec = new ProcessSpec("/bin/sh", ["-c", "head -c 3000000 /dev/zero | tr '\\0' a; echo; echo next"], SandboxWorld.Env) { OnStdoutLine = lines.Add };

        var result = await new HostProcesses().RunAsync(spec, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, lines.Count);
        Assert.Equal(ProcessSpec.MaxLineBytes, lines[0].Length);
        Assert.Equal("next", lines[1]);
    }
}
