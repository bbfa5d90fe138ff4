using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Coding.Tools;

/// <summary>run_tests with real test commands, and the detection of the command from a repository's files.</summary>
public sealed class RunTestsTests
{
    [Fact]
    public async Task A_passing_configured_command_is_recorded_as_passed_until_the_next_change()
    {
        using var world = new ToolWorld(settings: new CodingToolSettings { TestCommand = "echo 3 passed, 0 failed" });

        var result = await world.Call("run_tests");

        Assert.False(result.IsError);
        Assert.StartsWith("Tests passed: `echo 3 passed, 0 failed` (the agent's testCommand setting) exited 0.", result.Text, StringComparison.Ordinal);
        Assert.Contains("3 passed, 0 failed", result.Text, StringComparison.Ordinal);
        Assert.Equal(new TestRun(TestOutcome.Passed, "echo 3 passed, 0 failed", 0, 0), world.Context.LastTests);
        Assert.True(world.Context.TestsPassedOnLatestChange);

        await world.Call("str_replace", new { path = "README.md", old_str = "demo", new_str = "demo app" });
        Assert.False(world.Context.TestsPassedOnLatestChange);
    }

    [ToolFact("make")]
    public async Task A_failing_detected_make_test_is_recorded_as_failed_with_the_end_of_its_output()
    {
        using var world = new ToolWorld(new Dictionary<string, string?> { ["Makefile"] = "test:\n\t@echo 'FAIL: test_parse'\n\t@false\n" });

        var result = await world.Call("run_tests");

        Assert.StartsWith("Tests FAILED: `make test` (Makefile has a test target), exit code 2.", result.Text, StringComparison.Ordinal);
        Assert.Contains("FAIL: test_parse", result.Text, StringComparison.Ordinal);
        Assert.Equal(TestOutcome.Failed, world.Context.LastTests!.Outcome);
        Assert.Equal(2, world.Context.LastTests.ExitCode);
        Assert.False(world.Context.TestsPassedOnLatestChange);
    }

    [Fact]
    public async Task With_no_command_the_tests_are_not_run_and_the_model_is_told_what_was_looked_for()
    {
        using var world = new ToolWorld();

        var result = await world.Call("run_tests");

        Assert.False(result.IsError);
        Assert.StartsWith("Tests not run", result.Text, StringComparison.Ordinal);
        Assert.Contains("go.mod → go test ./...", result.Text, StringComparison.Ordinal);
        Assert.Contains("draft", result.Text, StringComparison.Ordinal);
        Assert.Equal(new TestRun(TestOutcome.NotRun, null, null, 0), world.Context.LastTests);
    }

    [Fact]
    public async Task Tests_that_hang_are_killed_at_the_test_timeout_and_count_as_failed()
    {
        using var world = new ToolWorld(settings: new CodingToolSettings { TestCommand = "echo running; sleep 600", TestTimeout = TimeSpan.FromSeconds(1) });

        var result = await world.Call("run_tests");

        Assert.StartsWith("Tests FAILED: `echo running; sleep 600` (the agent's testCommand setting), timed out after 1 s and were killed.", result.Text, StringComparison.Ordinal);
        Assert.Contains("running", result.Text, StringComparison.Ordinal);
        Assert.Equal(TestOutcome.Failed, world.Context.LastTests!.Outcome);
    }

    [Fact]
    public async Task Long_test_output_is_cut_to_its_tail()
    {
        using var world = new ToolWorld(settings: new CodingToolSettings { TestCommand = "seq 1 5000; echo '1 passed, 1 failed'; exit 1" });

        var result = await world.Call("run_tests");

        Assert.Contains("[output cut:", result.Text, StringComparison.Ordinal);
        Assert.EndsWith("1 passed, 1 failed", result.Text, StringComparison.Ordinal);
        Assert.True(result.Text.Split('\n').Length < RunTestsTool.TailLines + 10);
    }

    [Theory]
    [InlineData("App.sln", "", "dotnet test")]
    [InlineData("src.csproj", "<Project />", "dotnet test")]
    [InlineData("package.json", """{"scripts":{"test":"jest"}}""", "npm test")]
    [InlineData("package.json", """{"scripts":{"test":"echo \"Error: no test specified\" && exit 1"}}""", null)]
    [InlineData("package.json", """{"scripts":{"build":"tsc"}}""", null)]
    [InlineData("pyproject.toml", "[project]\nname = 'x'\n", "python3 -m pytest")]
    [InlineData("conftest.py", "", "python3 -m pytest")]
    [InlineData("go.mod", "module example.com/x\n", "go test ./...")]
    [InlineData("Cargo.toml", "[package]\nname = \"x\"\n", "cargo test")]
    [InlineData("Makefile", "build:\n\tcc x.c\ntest: build\n\t./x\n", "make test")]
    [InlineData("Makefile", "build:\n\tcc x.c\n", null)]
    [InlineData("README.md", "# nothing to run\n", null)]
    public void The_test_command_is_detected_from_the_files_at_the_root(string file, string content, string? expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File(file), content);

        Assert.Equal(expected, TestCommands.Detect(dir.Path)?.Command);
    }

    [Fact]
    public void Detection_follows_the_documented_order()
    {
        using var dir = new TempDir();
        foreach (var (file, content) in new[] { ("Makefile", "test:\n\ttrue\n"), ("go.mod", "module x\n"), ("package.json", """{"scripts":{"test":"jest"}}"""), ("App.slnx", "<Solution />") })
            File.WriteAllText(dir.File(file), content);

        Assert.Equal(new TestCommand("dotnet test", "App.slnx is at the root"), TestCommands.Detect(dir.Path));
    }
}
