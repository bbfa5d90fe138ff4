using System.Globalization;
using System.Text;
using AgentFactory.Dashboard;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Observability;

namespace AgentFactory.Cli;

/// <summary>
/// `agentfactory jobs show N --steps` as text: one line per step (index, attempt, time, kind, name,
/// duration, tokens, cost, error flag) and its input and output cut to one line each, then the job's
/// totals. Step text is model and tool output: it is redacted, and control characters (terminal
/// escape sequences) are dropped before it reaches the terminal.
/// </summary>
public static class StepsPrinter
{
    /// <summary>Width used when the output is not a terminal (a pipe, a file, a test).</summary>
    public const int DefaultWidth = 120;

    public static string Header(JobRecord job) =>
        $"Job {job.Id} ({job.JobType}): {job.Status.ToDb()}, attempt {job.Attempt} of {job.MaxAttempts}";

    public static string ColumnTitles =>
        $"{"STEP",5} {"TRY",3}  {"AT (UTC)",-8}  {"KIND",-5} {"NAME",-20} {"TOOK",8} {"IN TOK",9} {"OUT TOK",8} {"USD",9}";

    public static IEnumerable<string> Lines(StepView s, int width)
    {
        var took = s.DurationMs < 1000 ? $"{s.DurationMs} ms" : $"{s.DurationMs / 1000.0:0.0} s";
        var tokens = s.InputTokens + s.OutputTokens > 0;
        yield return $"{s.Index,5} {s.Attempt,3}  {s.At.UtcDateTime:HH:mm:ss}  {Fit(s.Kind, 5),-5} {Fit(s.Name, 20),-20} {took,8} "
            + $"{(tokens ? Count(s.InputTokens) : "-"),9} {(tokens ? Count(s.OutputTokens) : "-"),8} {(s.CostUsd is { } c ? Usd(c) : "-"),9}"
            + (s.IsError ? "  ERROR" : "");
        if (s.Input is { Length: > 0 } input) yield return Excerpt("in:  ", input, width);
        if (s.Output is { Length: > 0 } output) yield return Excerpt("out: ", output, width);
    }

    public static string UsageLine(JobUsageView u) =>
        $"Usage: {u.Steps} step{(u.Steps == 1 ? "" : "s")}, {u.ModelTurns} model turn{(u.ModelTurns == 1 ? "" : "s")}, "
        + $"{Count(u.InputTokens)} input tokens, {Count(u.OutputTokens)} output tokens, {Usd(u.CostUsd)} USD";

    /// <summary>The terminal's width when there is one, else <see cref="DefaultWidth"/>.</summary>
    public static int Width()
    {
        if (Console.IsOutputRedirected) return DefaultWidth;
        try { return Math.Max(60, Console.WindowWidth); }
        catch (IOException) { return DefaultWidth; }
    }

    /// <summary>The secrets the service would redact, known from the same settings (what cannot be loaded is skipped).</summary>
    public static SecretRedactor Redactor()
    {
        var options = CliApp.LoadSettings(createSecrets: false);
        IntegrationSettings integrations;
        try { integrations = IntegrationSettings.Load(CliApp.Env.Reader); }
        catch (SettingsException) { integrations = IntegrationSettings.None; }
        return SecretRedactor.For(new ServiceSettings { Options = options, Integrations = integrations, Environment = CliApp.Env });
    }

    /// <summary>One line: newlines shown as ⏎, other control characters as spaces, cut with … to the width.</summary>
    public static string Excerpt(string label, string text, int width) => "      " + label + OneLine(text, Math.Max(20, width - 6 - label.Length));

    /// <summary>
    /// Text as one printable line of at most <paramref name="room"/> characters: no control character
    /// (an ESC from a tool's output would reach the terminal as a command), no bidirectional override
    /// (it would show the line in a different order than it is stored).
    /// </summary>
    public static string OneLine(string text, int room)
    {
        var line = new StringBuilder(Math.Min(text.Length, room + 1));
        var lastSpace = false;
        foreach (var ch in text)
        {
            if (line.Length > room) break;
            if (ch == '\r') continue;
            if (ch == '\n') { line.Append('⏎'); lastSpace = false; continue; }
            if (char.IsWhiteSpace(ch) || char.IsControl(ch) || IsFormatting(ch))
            {
                if (!lastSpace) line.Append(' ');
                lastSpace = true;
                continue;
            }
            line.Append(ch);
            lastSpace = false;
        }
        var s = line.ToString().Trim();
        return s.Length > room ? s[..(room - 1)] + "…" : s;
    }

    private static bool IsFormatting(char ch) => ch is '\u200b' or '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    private static string Fit(string s, int max) => OneLine(s, max);

    private static string Count(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Usd(decimal usd) => usd.ToString(usd != 0 && Math.Abs(usd) < 0.01m ? "0.0000" : "0.00##", CultureInfo.InvariantCulture);
}
