using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentFactory.Agents.Coding.Cli;

/// <summary>
/// The Codex CLI's <c>exec --json</c>: thread.started, turn.started, item.started/updated/completed (agent
/// messages, reasoning, commands with their output, file changes), turn.completed with the turn's usage,
/// turn.failed and error.
/// </summary>
internal sealed class CodexStream : CliStream
{
    private long _input;
    private long _output;

    protected override IEnumerable<CliEvent> Event(JsonObject e, string line)
    {
        var type = Str(e["type"]) ?? "event";
        switch (type)
        {
            case "item.started" or "item.updated" or "item.completed" when e["item"] is JsonObject item:
                var kind = Str(item["type"]) ?? "item";
                var completed = type == "item.completed";
                if (completed && kind == "agent_message" && Str(item["text"]) is { Length: > 0 } text) FinalMessage = text;
                var error = kind == "error" || Str(item["status"]) == "failed" || (completed && kind == "command_execution" && Long(item["exit_code"]) != 0);
                yield return new CliEvent(Step($"{type}:{kind}", Describe(kind, item) ?? line, error: error, callId: Str(item["id"])),
                    Edit: completed && kind == "file_change");
                break;
            case "turn.completed":
                var usage = e["usage"];
                var input = Long(usage?["input_tokens"]);
                var output = Long(usage?["output_tokens"]);
                (_input, _output) = (_input + input, _output + output);
                yield return new CliEvent(Step(type, usage?.ToJsonString()), input + output > 0 ? new CliUsage(input, output, null) : null);
                break;
            case "turn.failed" or "error":
                var message = Str(e["error"]?["message"]) ?? Str(e["message"]);
                yield return new CliEvent(Step(type, message ?? line, error: true));
                break;
            default:
                yield return new CliEvent(Step(type, line));
                break;
        }
    }

    private static string? Describe(string kind, JsonObject item) => kind switch
    {
        "agent_message" or "reasoning" => Str(item["text"]),
        "command_execution" => $"$ {Str(item["command"])}\n{Str(item["aggregated_output"])}" + (item["exit_code"] is JsonValue ? $"\n(exit code {Long(item["exit_code"])})" : ""),
        "file_change" => string.Join('\n', (item["changes"] as JsonArray ?? []).Select(c => $"{Str(c?["kind"])} {Str(c?["path"])}")),
        "error" => Str(item["message"]),
        _ => null,
    };
}

/// <summary>aider prints text, not events: its output is gathered into steps, and its "Tokens: … sent, … received. Cost: $… message, $… session." lines are its usage.</summary>
internal sealed partial class AiderStream : CliStream
{
    private decimal _session;

    protected override IEnumerable<CliEvent> Event(JsonObject e, string line) => [new CliEvent(Step(Str(e["type"]) ?? "event", line))];

    protected override CliUsage? TextUsage(string text)
    {
        long input = 0, output = 0;
        decimal? cost = null;
        foreach (Match m in TokensLine().Matches(text))
        {
            input += Amount(m.Groups["sent"].Value);
            output += Amount(m.Groups["received"].Value);
            if (m.Groups["session"].Success && decimal.TryParse(m.Groups["session"].Value, NumberStyles.Number, CultureInfo.InvariantCulture, out var session))
            {
                cost = (cost ?? 0) + Math.Max(0, session - _session);
                _session = Math.Max(session, _session);
            }
        }
        return input + output > 0 || cost is not null ? new CliUsage(input, output, cost) : null;
    }

    private static long Amount(string text)
    {
        var k = text.EndsWith('k');
        return decimal.TryParse(k ? text[..^1] : text, NumberStyles.Number, CultureInfo.InvariantCulture, out var v) ? (long)(k ? v * 1000 : v) : 0;
    }

    [GeneratedRegex(@"Tokens: (?<sent>[\d.,]+k?) sent, (?:[\d.,]+k? cache \w+, )*(?<received>[\d.,]+k?) received\.(?: Cost: \$(?<message>[\d.]+) message, \$(?<session>[\d.]+) session\.)?")]
    private static partial Regex TokensLine();
}
