using System.Globalization;
using System.Text;

namespace AgentFactory.Agents.Coding.Tools;

/// <param name="Output">The kept tail of stdout and stderr, preceded by a note when some was cut.</param>
/// <param name="Limit">The sandbox limit that stopped it, if one did.</param>
internal sealed record ShellOutcome(int ExitCode, bool TimedOut, string Output, bool Cut, string? Limit);

/// <summary>
/// Runs <c>bash -lc command</c> in the worktree through the sandbox, under coreutils' <c>timeout</c>:
/// at the timeout the command's process group gets SIGTERM, then SIGKILL 5 s later, and the output
/// written until then is kept (a command that hangs still shows what it printed). A cancellation
/// token 30 s past the timeout backs this up. Output is cut to its last bytes and lines, with a note
/// saying how much was cut and how to see all of it.
/// </summary>
internal static class ShellCommand
{
    private static readonly TimeSpan Backstop = TimeSpan.FromSeconds(30);

    public static async Task<ShellOutcome> RunAsync(ToolContext context, string command, TimeSpan timeout, int maxBytes, int maxLines, CancellationToken ct)
    {
        var seconds = ((long)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        using var backstop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        backstop.CancelAfter(timeout + Backstop);
        var started = context.Time.GetTimestamp();
        Sandbox.ProcessResult result;
        try
        {
            result = await context.RunAsync("timeout", ["--kill-after=5", seconds, "bash", "-lc", command], maxBytes, backstop.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ShellOutcome(137, TimedOut: true, "(the command did not stop at its timeout and was killed; its output is lost)", Cut: false, Limit: null);
        }
        // 124: timeout's own "timed out"; 137 after the timeout: it had to SIGKILL a command that ignored SIGTERM.
        var timedOut = result.ExitCode == 124 || (result.ExitCode == 137 && context.Time.GetElapsedTime(started) >= timeout);
        var (text, cut) = Bound(result.Output, result.OutputBytes, maxBytes, maxLines);
        return new ShellOutcome(result.ExitCode, timedOut, text, cut, result.Limit);
    }

    /// <summary>The last <paramref name="maxLines"/> lines of the kept tail, with a note of what was cut.</summary>
    internal static (string Text, bool Cut) Bound(string output, long totalBytes, int maxBytes, int maxLines)
    {
        var droppedBytes = Math.Max(0, totalBytes - Encoding.UTF8.GetByteCount(output));
        var lines = output.Split('\n');
        // A tail cut by bytes may start inside a line: that fragment goes too.
        var skip = droppedBytes > 0 && lines.Length > 1 ? 1 : 0;
        var keep = Math.Min(lines.Length - skip, maxLines + (output.EndsWith('\n') ? 1 : 0));
        var droppedLines = lines.Length - skip - keep;
        if (droppedBytes == 0 && droppedLines == 0) return (output, false);

        var kept = string.Join('\n', lines[^keep..]);
        var keptLines = kept.EndsWith('\n') ? keep - 1 : keep;
        var cutBytes = Math.Max(0, totalBytes - Encoding.UTF8.GetByteCount(kept));
        // Lines are counted only when the runner kept everything; otherwise the bytes say how much.
        var what = droppedBytes > 0
            ? string.Create(CultureInfo.InvariantCulture, $"the first {cutBytes:N0} bytes of {totalBytes:N0}")
            : string.Create(CultureInfo.InvariantCulture, $"the first {droppedLines:N0} lines ({cutBytes:N0} bytes) of {droppedLines + keptLines:N0}");
        var note = string.Create(CultureInfo.InvariantCulture,
            $"[output cut: {what} are not shown; the last {keptLines:N0} lines follow. To read all of it, redirect the output to a file and use view_file or search on it.]\n");
        return (note + kept, true);
    }
}
