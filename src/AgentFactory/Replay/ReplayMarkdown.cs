using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentFactory.Replay;

/// <summary>The readable form of a <see cref="ReplayReport"/>: a table per job with totals, then what each job would have posted.</summary>
public static class ReplayMarkdown
{
    public static string Write(ReplayReport report)
    {
        var md = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"# Replay of {report.Event} deliveries since {report.Since:yyyy-MM-dd HH:mm}Z\n\n")
            .Append(CultureInfo.InvariantCulture, $"Agent **{report.Agent}** ({report.AgentKind}), model {ModelText(report)}. ")
            .Append(CultureInfo.InvariantCulture, $"Dry run: {report.Totals.Writes} GitHub write(s) captured, none sent.\n\n")
            .Append("| Delivery | Received | Subject | Outcome | Writes | Tokens in | Tokens out | Cost (USD) | Time (s) |\n")
            .Append("|---|---|---|---|---:|---:|---:|---:|---:|\n");
        foreach (var j in report.Jobs)
            md.Append(CultureInfo.InvariantCulture, $"| {Cell(j.DeliveryId)} | {j.ReceivedAt:yyyy-MM-dd HH:mm} | {Cell(Subject(j))} | {j.Outcome} | {j.Writes.Count} | {j.InputTokens} | {j.OutputTokens} | {Usd(j.CostUsd)} | {Seconds(j.Seconds)} |\n");
        var t = report.Totals;
        md.Append(CultureInfo.InvariantCulture, $"| **Total** ({t.Jobs}) | | | {t.Completed} completed, {t.Failed} failed | {t.Writes} | {t.InputTokens} | {t.OutputTokens} | {Usd(t.CostUsd)} | {Seconds(t.Seconds)} |\n");

        if (report.Jobs.Count == 0) md.Append("\nNo stored deliveries matched (only deliveries that made a job are replayed).\n");
        foreach (var j in report.Jobs)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n## {Subject(j)} — delivery {j.DeliveryId}\n\n");
            if (j.Error is { } error) md.Append("Failed: ").Append(error).Append("\n\n");
            if (j.Writes.Count == 0) md.Append("Would have posted nothing.\n");
            foreach (var w in j.Writes) md.Append("```text\n").Append(Posted(w).Replace("```", "'''", StringComparison.Ordinal)).Append("\n```\n");
        }
        return md.ToString();
    }

    public static string ModelText(ReplayReport r) =>
        r.Model is null ? "none (deterministic checks only)"
        : $"{r.Model} ({r.ModelId}{(r.InputUsdPerMillion is { } i && r.OutputUsdPerMillion is { } o ? FormattableString.Invariant($", ${i}/${o} per million tokens in/out") : ", no prices")})";

    public static string Subject(ReplayJob j) => $"{j.Repository ?? "?"}{j.Subject}{(j.Action is null ? "" : $" ({j.Action})")}";

    /// <summary>A write as a person reads it: the request line, the text it posts ("body"), and each inline comment.</summary>
    public static string Posted(CapturedWrite w)
    {
        var text = new StringBuilder().Append(w.Method).Append(' ').Append(w.Path);
        JsonNode? body = null;
        try { body = string.IsNullOrWhiteSpace(w.Body) ? null : JsonNode.Parse(w.Body); }
        catch (JsonException) { }
        if (body is JsonObject o && (o["body"] is JsonValue || o["comments"] is JsonArray))
        {
            if (o["body"] is JsonValue b && b.GetValueKind() == JsonValueKind.String) text.Append('\n').Append(b.GetValue<string>());
            foreach (var c in o["comments"] as JsonArray ?? [])
                text.Append("\n— inline on ").Append(c?["path"]?.ToString() ?? "?").Append(" position ").Append(c?["position"]?.ToString() ?? c?["line"]?.ToString() ?? "?")
                    .Append(": ").Append(c?["body"]?.ToString() ?? "");
        }
        else if (w.Body is { Length: > 0 }) text.Append('\n').Append(w.Body);
        return text.ToString();
    }

    public static string Usd(decimal? usd) => usd is { } v ? v.ToString("0.000000", CultureInfo.InvariantCulture) : "unknown";

    public static string Seconds(double s) => s.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>Text fit for one table cell: pipes escaped, lines joined with &lt;br&gt;.</summary>
    public static string Cell(string? text) =>
        (text ?? "").Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal);
}
