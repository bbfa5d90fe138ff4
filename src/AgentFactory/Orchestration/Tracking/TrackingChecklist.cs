using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentFactory.Jobs;

namespace AgentFactory.Orchestration.Tracking;

/// <summary>
/// A job's recorded steps as the tracking comment's checklist: one line per tool call or note (the last
/// <see cref="Shown"/>), model turns counted in the totals line. Every name and argument is the model's, so
/// untrusted: each is shown inside a code span with backticks and line breaks removed, where GitHub renders no
/// mention, link, image or HTML.
/// </summary>
public static class TrackingChecklist
{
    public const int Shown = 12;
    private const int MaxDetail = 80;
    private static readonly string[] DetailFields = ["path", "command", "pattern", "query", "summary"];

    /// <summary>The checklist, or "" when nothing was recorded; <paramref name="running"/> adds an open item for the work going on.</summary>
    public static string Render(IReadOnlyList<JobStep> steps, bool running)
    {
        if (steps.Count == 0) return "";
        var items = steps.Where(s => s.Kind != StepKinds.Model).ToList();
        var turns = steps.Count(s => s.Kind == StepKinds.Model);
        var tokens = steps.Sum(s => s.InputTokens + s.OutputTokens);
        var cost = steps.Sum(s => s.CostUsd ?? 0m);
        var sb = new StringBuilder("\n\n**Steps** (")
            .Append(Count(items.Count, "step")).Append(", ").Append(Count(turns, "model turn"))
            .Append(", ").Append(tokens.ToString("N0", CultureInfo.InvariantCulture)).Append(" tokens");
        if (cost > 0) sb.Append(", $").Append(cost.ToString("0.0000", CultureInfo.InvariantCulture));
        sb.Append(")\n");
        if (items.Count > Shown) sb.Append("- … ").Append(Count(items.Count - Shown, "earlier step")).Append('\n');
        foreach (var step in items.Skip(Math.Max(0, items.Count - Shown)))
        {
            sb.Append("- [x] ").Append(Code(step.Name));
            if (Detail(step.Input) is { } detail) sb.Append(' ').Append(Code(detail));
            if (step.IsError) sb.Append(" — failed");
            sb.Append('\n');
        }
        if (running) sb.Append("- [ ] …\n");
        return sb.ToString().TrimEnd('\n');
    }

    /// <summary>The one argument that says what a call did (its path, command, pattern …), when its input is a JSON object.</summary>
    private static string? Detail(string? input)
    {
        if (string.IsNullOrWhiteSpace(input) || input.TrimStart()[0] != '{') return null;
        try
        {
            using var doc = JsonDocument.Parse(input);
            foreach (var field in DetailFields)
                if (doc.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
                    return text;
        }
        catch (JsonException)
        {
            // A cut or malformed input: the name alone says enough.
        }
        return null;
    }

    /// <summary>A code span GitHub cannot break out of: no backtick, no line break, no control character, bounded.</summary>
    private static string Code(string text)
    {
        var clean = new string([.. text.Select(c => c == '`' ? '\'' : char.IsControl(c) ? ' ' : c)]).Trim();
        if (clean.Length > MaxDetail) clean = clean[..MaxDetail] + "…";
        return clean.Length == 0 ? "" : $"`{clean}`";
    }

    private static string Count(int n, string what) => $"{n.ToString(CultureInfo.InvariantCulture)} {what}{(n == 1 ? "" : "s")}";
}
