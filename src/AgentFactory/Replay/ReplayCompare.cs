using System.Globalization;
using System.Text;
using static AgentFactory.Replay.ReplayMarkdown;

namespace AgentFactory.Replay;

/// <summary>
/// Two replay reports side by side (`agentfactory replay compare A.json B.json`): the totals, then per delivery
/// (matched by delivery id) the outcome, tokens, cost, time and the text each configuration would have posted.
/// </summary>
public static class ReplayCompare
{
    public static string Write(ReplayReport a, ReplayReport b)
    {
        var (la, lb) = ($"A: {a.Label}", $"B: {b.Label}");
        var md = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"# Replay comparison: {a.Event} deliveries\n\n")
            .Append(CultureInfo.InvariantCulture, $"A: agent {a.Agent}, model {ModelText(a)}, since {a.Since:yyyy-MM-dd HH:mm}Z.\n")
            .Append(CultureInfo.InvariantCulture, $"B: agent {b.Agent}, model {ModelText(b)}, since {b.Since:yyyy-MM-dd HH:mm}Z.\n\n")
            .Append(CultureInfo.InvariantCulture, $"| | {Cell(la)} | {Cell(lb)} |\n|---|---|---|\n")
            .Append(CultureInfo.InvariantCulture, $"| Deliveries | {a.Totals.Jobs} | {b.Totals.Jobs} |\n")
            .Append(CultureInfo.InvariantCulture, $"| Completed / failed | {a.Totals.Completed} / {a.Totals.Failed} | {b.Totals.Completed} / {b.Totals.Failed} |\n")
            .Append(CultureInfo.InvariantCulture, $"| Writes | {a.Totals.Writes} | {b.Totals.Writes} |\n")
            .Append(CultureInfo.InvariantCulture, $"| Tokens in / out | {a.Totals.InputTokens} / {a.Totals.OutputTokens} | {b.Totals.InputTokens} / {b.Totals.OutputTokens} |\n")
            .Append(CultureInfo.InvariantCulture, $"| Cost (USD) | {Usd(a.Totals.CostUsd)} | {Usd(b.Totals.CostUsd)} |\n")
            .Append(CultureInfo.InvariantCulture, $"| Time (s) | {Seconds(a.Totals.Seconds)} | {Seconds(b.Totals.Seconds)} |\n");

        var byA = a.Jobs.GroupBy(j => j.DeliveryId).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var byB = b.Jobs.GroupBy(j => j.DeliveryId).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var order = a.Jobs.Concat(b.Jobs).OrderBy(j => j.ReceivedAt).ThenBy(j => j.EventId).Select(j => j.DeliveryId).Distinct(StringComparer.Ordinal);
        foreach (var id in order)
        {
            var (x, y) = (byA.GetValueOrDefault(id), byB.GetValueOrDefault(id));
            md.Append(CultureInfo.InvariantCulture, $"\n## {Subject((x ?? y)!)} — delivery {id}\n\n")
                .Append(CultureInfo.InvariantCulture, $"| | {Cell(la)} | {Cell(lb)} |\n|---|---|---|\n")
                .Append(CultureInfo.InvariantCulture, $"| Outcome | {Of(x, j => j.Outcome)} | {Of(y, j => j.Outcome)} |\n")
                .Append(CultureInfo.InvariantCulture, $"| Tokens in / out | {Of(x, Tokens)} | {Of(y, Tokens)} |\n")
                .Append(CultureInfo.InvariantCulture, $"| Cost (USD) | {Of(x, j => Usd(j.CostUsd))} | {Of(y, j => Usd(j.CostUsd))} |\n")
                .Append(CultureInfo.InvariantCulture, $"| Time (s) | {Of(x, j => Seconds(j.Seconds))} | {Of(y, j => Seconds(j.Seconds))} |\n")
                .Append(CultureInfo.InvariantCulture, $"| Posted | {Of(x, PostedCell)} | {Of(y, PostedCell)} |\n");
        }
        return md.ToString();
    }

    private static string Tokens(ReplayJob j) => FormattableString.Invariant($"{j.InputTokens} / {j.OutputTokens}");

    private static string PostedCell(ReplayJob j) =>
        j.Writes.Count == 0 ? (j.Error is { } e ? Cell("nothing (failed: " + e + ")") : "nothing") : Cell(string.Join("\n\n", j.Writes.Select(Posted)));

    private static string Of(ReplayJob? job, Func<ReplayJob, string> value) => job is null ? "(not in this report)" : value(job);
}
