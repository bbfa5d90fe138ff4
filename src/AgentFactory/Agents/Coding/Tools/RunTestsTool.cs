using System.Globalization;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// <c>run_tests()</c>: runs the repository's test command (the <c>testCommand</c> setting, else
/// <see cref="TestCommands.Detect"/>) with <c>bash -lc</c> in the worktree, through the sandbox, with
/// its own longer timeout. The result starts with "Tests passed", "Tests FAILED" or "Tests not run",
/// followed by the last <see cref="TailLines"/> lines of output; the outcome is recorded in
/// <see cref="ToolContext.LastTests"/>, from which the agent decides between a draft and a ready PR.
/// </summary>
public sealed class RunTestsTool : CodingTool
{
    public const int TailBytes = 12 * 1024;
    public const int TailLines = 150;

    public override string Name => "run_tests";

    public override string Description =>
        "Run the repository's whole test suite (its configured or detected test command) and report whether it passed, with the end of its output. " +
        "Run it after your last change, before finish: the pull request is marked ready for review only if the tests passed on the final code. " +
        "To run a single test quickly, use run_shell instead.";

    public override string ParametersSchema => """
        {
          "type": "object",
          "properties": {},
          "additionalProperties": false
        }
        """;

    protected override async Task<ToolResult> RunAsync(ToolArguments args, ToolContext context, CancellationToken ct)
    {
        var configured = context.Settings.TestCommand;
        var test = !string.IsNullOrWhiteSpace(configured) ? new TestCommand(configured, "the agent's testCommand setting") : TestCommands.Detect(context.Worktree);
        if (test is null)
        {
            context.RecordTests(TestOutcome.NotRun, null, null);
            return ToolResult.Ok(
                "Tests not run: no test command is configured (the agent's testCommand setting) and none was detected at the repository root " +
                $"(looked for: {TestCommands.DetectionOrder}). The pull request will be a draft. If you know how this repository's tests run, run them with run_shell " +
                "and say so in your finish summary.",
                "tests not run: no test command");
        }

        var timeout = context.Settings.TestTimeout;
        var outcome = await ShellCommand.RunAsync(context, test.Command, timeout, TailBytes, TailLines, ct);
        var passed = outcome.ExitCode == 0 && !outcome.TimedOut && outcome.Limit is null;
        context.RecordTests(passed ? TestOutcome.Passed : TestOutcome.Failed, test.Command, outcome.ExitCode);

        var why = outcome switch
        {
            { TimedOut: true } => $"timed out after {((int)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s and were killed",
            { Limit: { } limit } => $"were stopped by the sandbox's {limit} limit",
            _ => $"exit code {outcome.ExitCode}",
        };
        var head = passed
            ? $"Tests passed: `{test.Command}` ({test.Reason}) exited 0."
            : $"Tests FAILED: `{test.Command}` ({test.Reason}), {why}.";
        var body = outcome.Output.Length == 0 ? "(no output)" : outcome.Output.TrimEnd('\n');
        return ToolResult.Ok($"{head}\nThe end of the output:\n{body}", passed ? $"tests passed ({test.Command})" : $"tests failed ({test.Command}, {why})");
    }
}
