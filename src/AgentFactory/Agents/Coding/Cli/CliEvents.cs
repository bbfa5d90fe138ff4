using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFactory.Jobs;

namespace AgentFactory.Agents.Coding.Cli;

/// <summary>Tokens (and the CLI's own cost, when it says) that one event adds to the run.</summary>
internal sealed record CliUsage(long InputTokens, long OutputTokens, decimal? CostUsd);

/// <summary>One event of a CLI's output as a transcript step, with what it used and whether it edited a file.</summary>
internal sealed record CliEvent(NewJobStep Step, CliUsage? Usage = null, bool Edit = false);

/// <summary>
/// Reads a CLI's stdout, one line at a time, into steps: each JSON event becomes a step named by its type
/// with a bounded excerpt; plain text is gathered into "output" steps. Keeps what the run needs at the
/// end: the CLI's final message, and a budget the CLI itself stopped at.
/// </summary>
internal abstract class CliStream
{
    public const int MaxOutput = 2000;
    public const int MaxInput = 1000;
    private const int TextBatch = 40;

    private readonly List<string> _text = [];
    private readonly Queue<string> _lastText = new();

    /// <summary>What the CLI said last: its result or final message; for plain text, its last lines.</summary>
    public string? FinalMessage { get; protected set; }

    /// <summary>The CLI stopped because of a budget it was given (Claude Code's --max-turns).</summary>
    public Models.BudgetKind? StoppedBy { get; protected set; }

    public static CliStream For(CliKind kind) => kind switch
    {
        CliKind.Codex => new CodexStream(),
        CliKind.Aider => new AiderStream(),
        _ => new ClaudeStream(), // a command may print Claude Code's stream-json to report usage; other lines are text
    };

    public IEnumerable<CliEvent> Read(string line)
    {
        JsonObject? json = null;
        if (line.StartsWith('{'))
            try { json = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException) { }
        if (json is null) return Text(line);
        return Flush().Concat(Event(json, line));
    }

    /// <summary>The text gathered since the last step; call it when the CLI has exited.</summary>
    public IEnumerable<CliEvent> Flush()
    {
        if (_text.Count == 0) yield break;
        var output = Cut(string.Join('\n', _text), MaxOutput);
        _text.Clear();
        yield return new CliEvent(new NewJobStep(StepKinds.Cli, "output", Output: output), TextUsage(output));
    }

    protected abstract IEnumerable<CliEvent> Event(JsonObject e, string line);

    /// <summary>What a batch of plain text says it used (aider's "Tokens: … Cost: …" lines).</summary>
    protected virtual CliUsage? TextUsage(string text) => null;

    private IEnumerable<CliEvent> Text(string line)
    {
        if (line.Trim().Length == 0) return [];
        _text.Add(line);
        _lastText.Enqueue(line);
        while (_lastText.Count > 30) _lastText.Dequeue();
        LastText = Cut(string.Join('\n', _lastText), MaxOutput);
        return _text.Count >= TextBatch ? Flush() : [];
    }

    /// <summary>The last lines of plain text, for a CLI with no final-message event.</summary>
    public string? LastText { get; private set; }

    protected static NewJobStep Step(string name, string? output, string? input = null, bool error = false, string? callId = null) =>
        new(StepKinds.Cli, name, input is null ? null : Cut(input, MaxInput), output is null ? null : Cut(output, MaxOutput), error, CallId: callId);

    public static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), $" [… {text.Length - max} more characters]");

    protected static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    protected static long Long(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? l : 0;
}

/// <summary>Claude Code's <c>--output-format stream-json --verbose</c>: system, assistant, user and result events.</summary>
internal sealed class ClaudeStream : CliStream
{
    private static readonly HashSet<string> EditTools = new(StringComparer.Ordinal) { "Edit", "MultiEdit", "Write", "NotebookEdit" };

    private readonly Dictionary<string, (long Input, long Output)> _messages = new(StringComparer.Ordinal);
    private long _input;
    private long _output;

    protected override IEnumerable<CliEvent> Event(JsonObject e, string line)
    {
        var type = Str(e["type"]) ?? "event";
        var name = Str(e["subtype"]) is { } sub ? $"{type}/{sub}" : type;
        switch (type)
        {
            case "assistant" when e["message"] is JsonObject message:
                var (parts, texts, edit) = (new List<string>(), new List<string>(), false);
                foreach (var block in message["content"] as JsonArray ?? [])
                {
                    if (Str(block?["type"]) == "text") texts.Add(Str(block!["text"]) ?? "");
                    else if (Str(block?["type"]) == "tool_use")
                    {
                        var tool = Str(block!["name"]) ?? "?";
                        edit |= EditTools.Contains(tool);
                        parts.Add($"{tool}({block["input"]?.ToJsonString()})");
                    }
                }
                if (texts.Count > 0) FinalMessage = string.Join('\n', texts);
                parts.InsertRange(0, texts);
                yield return new CliEvent(Step("assistant", string.Join('\n', parts)), TurnUsage(Str(message["id"]), message["usage"]), edit);
                break;
            case "user" when Content(e) is { } content:
                foreach (var block in content.Where(b => Str(b?["type"]) == "tool_result"))
                {
                    var result = block!["content"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : block["content"]?.ToJsonString();
                    yield return new CliEvent(Step("tool_result", result, error: block["is_error"] is JsonValue err && err.TryGetValue<bool>(out var isError) && isError,
                        callId: Str(block["tool_use_id"])));
                }
                break;
            case "result":
                if (Str(e["result"]) is { Length: > 0 } final) FinalMessage = final;
                if (Str(e["subtype"]) == "error_max_turns") StoppedBy = Models.BudgetKind.Turns;
                var failed = e["is_error"] is JsonValue r && r.TryGetValue<bool>(out var isErr) && isErr;
                yield return new CliEvent(Step(name, Str(e["result"]) ?? line, error: failed), Totals(e["usage"], e["total_cost_usd"]));
                break;
            default:
                yield return new CliEvent(Step(name, line));
                break;
        }
    }

    private static JsonArray? Content(JsonObject e) => e["message"] is JsonObject m ? m["content"] as JsonArray : null;

    /// <summary>A message's usage: counted once per message id (its blocks come as several events), growing output counted as it grows.</summary>
    private CliUsage? TurnUsage(string? id, JsonNode? usage)
    {
        if (usage is null) return null;
        var input = Long(usage["input_tokens"]) + Long(usage["cache_creation_input_tokens"]) + Long(usage["cache_read_input_tokens"]);
        var output = Long(usage["output_tokens"]);
        var before = id is not null && _messages.TryGetValue(id, out var seen) ? seen : (0, 0);
        var (di, dout) = (Math.Max(0, input - before.Input), Math.Max(0, output - before.Output));
        if (id is not null) _messages[id] = (Math.Max(input, before.Input), Math.Max(output, before.Output));
        (_input, _output) = (_input + di, _output + dout);
        return di + dout > 0 ? new CliUsage(di, dout, null) : null;
    }

    /// <summary>The result's totals are authoritative: what they add to the turns counted so far, and the CLI's whole cost.</summary>
    private CliUsage? Totals(JsonNode? usage, JsonNode? cost)
    {
        var usd = cost is JsonValue c && c.TryGetValue<decimal>(out var d) ? d : (decimal?)null;
        if (usage is null && usd is null) return null;
        var input = usage is null ? _input : Long(usage["input_tokens"]) + Long(usage["cache_creation_input_tokens"]) + Long(usage["cache_read_input_tokens"]);
        var output = usage is null ? _output : Long(usage["output_tokens"]);
        var delta = new CliUsage(Math.Max(0, input - _input), Math.Max(0, output - _output), usd);
        (_input, _output) = (Math.Max(input, _input), Math.Max(output, _output));
        return delta;
    }
}
