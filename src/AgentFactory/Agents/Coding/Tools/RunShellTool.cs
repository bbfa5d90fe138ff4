using System.Globalization;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// <c>run_shell(command, timeout_seconds?)</c>: one shell command in the worktree, inside the sandbox.
/// The result is the command's output (stdout and stderr interleaved, cut to its last
/// <see cref="MaxOutputBytes"/> bytes and <see cref="MaxOutputLines"/> lines with a note) and a last
/// line with the exit code, or saying it timed out. Nothing runs in the background past the call.
/// </summary>
public sealed class RunShellTool : CodingTool
{
    public const int MaxOutputBytes = 16 * 1024;
    public const int MaxOutputLines = 300;

    public override string Name => "run_shell";

    public override string Description =>
        "Run a bash command in the repository root (bash -lc, no terminal, no input; each call starts a fresh shell, so `cd` does not carry over). " +
        "Use it to build, run programs, inspect git state, or run specific tests. The result is the command's output (stdout and stderr together, " +
        $"only the last {MaxOutputLines} lines / {MaxOutputBytes / 1024} KB are shown) followed by the exit code. " +
        "Commands are killed at their timeout: redirect long output to a file and read it with view_file or search. " +
        "Prefer view_file, search, str_replace and create_file for reading and editing files.";

    public override string ParametersSchema => """
        {
          "type": "object",
          "properties": {
            "command": { "type": "string", "description": "The bash command line to run, e.g. \"ls src && git status --short\"." },
            "timeout_seconds": { "type": "integer", "minimum": 1, "description": "Seconds before the command is killed. Default 120; values above the configured maximum (600 by default) are lowered to it." }
          },
          "required": ["command"],
          "additionalProperties": false
        }
        """;

    protected override async Task<ToolResult> RunAsync(ToolArguments args, ToolContext context, CancellationToken ct)
    {
        var command = args.RequiredText("command", "the bash command line to run");
        var (timeout, lowered) = Timeout(args.OptionalInt("timeout_seconds"), context.Settings);

        context.NoteChange();
        var outcome = await ShellCommand.RunAsync(context, command, timeout, MaxOutputBytes, MaxOutputLines, ct);

        var seconds = ((int)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var status = outcome switch
        {
            { TimedOut: true } => $"[timed out after {seconds} s: the command was killed (exit code {outcome.ExitCode}). Run long jobs in the background with output to a file, or give a larger timeout_seconds.]",
            { Limit: { } limit } => $"[stopped by the sandbox's {limit} limit (exit code {outcome.ExitCode})]",
            _ => $"[exit code {outcome.ExitCode}]",
        };
        if (lowered) status += $"\n[timeout_seconds was lowered to {seconds}, the maximum]";
        var body = outcome.Output.Length == 0 ? "(no output)\n" : outcome.Output.EndsWith('\n') ? outcome.Output : outcome.Output + "\n";
        var summary = outcome.TimedOut ? $"timed out after {seconds} s" : $"exit {outcome.ExitCode}";
        if (outcome.Cut) summary += ", output cut";
        var firstLine = ToolResult.Shorten(outcome.Cut ? body[(body.IndexOf('\n', StringComparison.Ordinal) + 1)..] : body);
        return new ToolResult(body + status, ToolResult.Shorten($"{summary}: {firstLine}"), IsError: false);
    }

    private static (TimeSpan Timeout, bool Lowered) Timeout(int? seconds, CodingToolSettings settings)
    {
        if (seconds is null) return (settings.ShellTimeout, false);
        if (seconds < 1) throw new ToolException("timeout_seconds must be at least 1.");
        var asked = TimeSpan.FromSeconds(seconds.Value);
        return asked > settings.MaxShellTimeout ? (settings.MaxShellTimeout, true) : (asked, false);
    }
}
