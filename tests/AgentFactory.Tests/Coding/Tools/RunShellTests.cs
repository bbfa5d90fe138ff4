using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Coding.Tools;

/// <summary>run_shell against real bash processes in a real repository.</summary>
public sealed class RunShellTests : IDisposable
{
    private readonly ToolWorld _world = new(settings: new CodingToolSettings { MaxShellTimeout = TimeSpan.FromSeconds(30) });

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Runs_in_the_worktree_root_and_reports_output_and_exit_code()
    {
        var result = await _world.Call("run_shell", new { command = "pwd; cat README.md; echo oops >&2; exit 3" });

        Assert.False(result.IsError);
        Assert.Contains(_world.Context.Worktree + "\n", result.Text, StringComparison.Ordinal);
        Assert.Contains("# demo", result.Text, StringComparison.Ordinal);
        Assert.Contains("oops", result.Text, StringComparison.Ordinal);
        Assert.EndsWith("[exit code 3]", result.Text, StringComparison.Ordinal);
        Assert.StartsWith("exit 3", result.Excerpt, StringComparison.Ordinal);
        Assert.Equal(1, _world.Context.Changes);
    }

    [Fact]
    public async Task A_command_with_no_output_says_so()
    {
        var result = await _world.Call("run_shell", new { command = "true" });
        Assert.Equal("(no output)\n[exit code 0]", result.Text);
    }

    [Fact]
    public async Task A_hanging_command_is_killed_at_its_timeout_and_keeps_what_it_printed()
    {
        var result = await _world.Call("run_shell", new { command = "echo started; sleep 600", timeout_seconds = 1 });

        Assert.False(result.IsError);
        Assert.Contains("started", result.Text, StringComparison.Ordinal);
        Assert.Contains("[timed out after 1 s", result.Text, StringComparison.Ordinal);
        Assert.StartsWith("timed out", result.Excerpt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_ignores_SIGTERM_is_killed_too()
    {
        var result = await _world.Call("run_shell", new { command = "trap '' TERM; echo stubborn; while true; do sleep 1; done", timeout_seconds = 1 });

        Assert.Contains("stubborn", result.Text, StringComparison.Ordinal);
        Assert.Contains("[timed out after 1 s", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Huge_output_is_cut_to_its_tail_with_a_note_of_how_much_was_cut()
    {
        var result = await _world.Call("run_shell", new { command = "seq 1 200000" });

        Assert.True(result.Text.Length < RunShellTool.MaxOutputBytes + 1024, $"{result.Text.Length} characters");
        Assert.StartsWith("[output cut: the first 1,286,795 bytes of 1,288,895 are not shown; the last 300 lines follow.", result.Text, StringComparison.Ordinal);
        Assert.Contains("redirect the output to a file", result.Text, StringComparison.Ordinal);
        Assert.Contains("\n200000\n[exit code 0]", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("\n1000\n", result.Text, StringComparison.Ordinal);
        Assert.Contains("output cut", result.Excerpt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Many_short_lines_are_cut_to_the_last_lines_with_the_exact_count()
    {
        var result = await _world.Call("run_shell", new { command = "seq 1 1000" });

        Assert.StartsWith("[output cut: the first 700 lines (2,692 bytes) of 1,000 are not shown; the last 300 lines follow.", result.Text, StringComparison.Ordinal);
        Assert.Contains("]\n701\n", result.Text, StringComparison.Ordinal);
        Assert.Contains("\n1000\n[exit code 0]", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_above_the_maximum_is_lowered_and_says_so()
    {
        var result = await _world.Call("run_shell", new { command = "echo quick", timeout_seconds = 100_000 });

        Assert.Contains("quick", result.Text, StringComparison.Ordinal);
        Assert.Contains("[timeout_seconds was lowered to 30, the maximum]", result.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}", "needs the argument \"command\"")]
    [InlineData("""{"command":"  "}""", "is empty")]
    [InlineData("""{"command":"ls","timeout_seconds":"soon"}""", "must be a whole number")]
    [InlineData("""{"command":"ls","timeout_seconds":0}""", "at least 1")]
    public async Task Bad_arguments_are_refused_with_what_to_give(string arguments, string expected)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(arguments);
        var result = await CodingTools.Find("run_shell")!.InvokeAsync(doc.RootElement, _world.Context, default);

        Assert.True(result.IsError);
        Assert.Contains(expected, result.Text, StringComparison.Ordinal);
        Assert.Equal(0, _world.Context.Changes);
    }

    [Fact]
    public async Task Cancellation_ends_the_command_and_is_not_a_tool_result()
    {
        using var cts = new CancellationTokenSource();
        var call = _world.Call("run_shell", new { command = "echo go > started; sleep 600" }, cts.Token);
        while (!File.Exists(_world.FullPath("started")) && !call.IsCompleted) await Task.Delay(20);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    /// <summary>Through a real bubblewrap sandbox: the worktree is writable, the rest of the file system is not.</summary>
    [ToolFact("bwrap")]
    public async Task Through_bubblewrap_the_command_writes_the_worktree_and_nothing_else()
    {
        using var world = new ToolWorld(processes: TestProcesses.Agents);

        var result = await world.Call("run_shell", new { command = "echo made > inside.txt && cat inside.txt; touch /usr/af-escape-test 2>&1 || echo refused-outside" });

        Assert.Contains("made", result.Text, StringComparison.Ordinal);
        Assert.Contains("refused-outside", result.Text, StringComparison.Ordinal);
        Assert.Equal("made\n", world.Read("inside.txt"));
        Assert.False(File.Exists("/usr/af-escape-test"));
        var check = await world.Call("create_file", new { path = "data.json", content = "{\"ok\": true}" });
        Assert.False(check.IsError, check.Text);
    }
}
