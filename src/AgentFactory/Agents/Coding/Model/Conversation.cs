using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using Microsoft.Extensions.AI;

namespace AgentFactory.Agents.Coding.Model;

/// <summary>
/// The messages of one coding run as the model sees them: the system prompt and the task, then each turn's
/// reply and its tool results. Kept short (what makes runs succeed, per SWE-agent): only the last
/// <see cref="KeepResults"/> tool results are shown in full; older ones are replaced by their one-line
/// excerpt, so a 200-turn run sends about as much per turn as a 20-turn one, plus one line per old call.
/// A resumed run is rebuilt from the stored transcript (<see cref="Resume"/>), so the model goes on from
/// where the killed attempt stopped instead of starting over.
/// </summary>
public sealed class Conversation
{
    /// <summary>How much of a tool result is stored in the transcript, and so seen again after a resume.</summary>
    public const int MaxStoredResult = 8_000;

    public const string Interrupted =
        "This call was interrupted when the service stopped; whatever it changed before that is in the worktree. Check the state (view_file, run_shell 'git status') before repeating it.";

    private readonly List<ChatMessage> _messages = [];
    private readonly List<(ChatMessage Message, int Index, string[] Excerpts)> _results = [];

    public Conversation(string system, string task, int keepResults = 8)
    {
        KeepResults = Math.Max(1, keepResults);
        _messages.Add(new ChatMessage(ChatRole.System, system));
        _messages.Add(new ChatMessage(ChatRole.User, task));
    }

    public int KeepResults { get; }

    public IReadOnlyList<ChatMessage> Messages => _messages;

    /// <summary>The number of model replies so far, resumed ones included.</summary>
    public int Turns { get; private set; }

    public void AddReply(IEnumerable<ChatMessage> reply)
    {
        _messages.AddRange(reply);
        Turns++;
    }

    /// <summary>The results of one reply's calls, in one tool message; older results are shortened to their excerpt.</summary>
    public void AddResults(IReadOnlyList<(string CallId, string Text, string Excerpt)> results)
    {
        if (results.Count == 0) return;
        var message = new ChatMessage(ChatRole.Tool, [.. results.Select(r => (AIContent)new FunctionResultContent(r.CallId, r.Text))]);
        _messages.Add(message);
        _results.Add((message, _messages.Count - 1, [.. results.Select(r => r.Excerpt)]));
        Compact();
    }

    /// <summary>A note from the service (a nudge to use a tool, a resume notice).</summary>
    public void AddNote(string text) => _messages.Add(new ChatMessage(ChatRole.User, text));

    /// <summary>What a model step stores as its output: the reply's text and calls, enough to rebuild the reply on resume.</summary>
    public static string Describe(IEnumerable<ChatMessage> reply)
    {
        var contents = reply.SelectMany(m => m.Contents).ToList();
        var calls = new JsonArray();
        foreach (var call in contents.OfType<FunctionCallContent>())
            calls.Add(new JsonObject
            {
                ["id"] = call.CallId,
                ["name"] = call.Name,
                ["arguments"] = call.Arguments is null ? new JsonObject() : JsonSerializer.SerializeToNode(call.Arguments, AIJsonUtilities.DefaultOptions),
            });
        var text = string.Concat(contents.OfType<TextContent>().Select(t => t.Text));
        return new JsonObject { ["text"] = text, ["calls"] = calls }.ToJsonString();
    }

    /// <summary>
    /// Replays the stored steps of earlier attempts: each model step becomes its reply again and each tool step its
    /// result; a call whose result was never stored (the attempt died in it) gets <see cref="Interrupted"/>.
    /// </summary>
    public void Resume(IReadOnlyList<JobStep> steps)
    {
        List<FunctionCallContent>? open = null;
        var results = new List<(string, string, string)>();
        void Close()
        {
            if (open is null) return;
            foreach (var call in open.Where(c => !results.Exists(r => r.Item1 == c.CallId)))
                results.Add((call.CallId, Interrupted, $"{call.Name}: interrupted"));
            AddResults(results);
            (open, results) = (null, []);
        }

        foreach (var step in steps)
        {
            if (step.Kind == StepKinds.Model && !step.IsError && Reply(step.Output) is { } reply)
            {
                Close();
                AddReply([reply]);
                open = [.. reply.Contents.OfType<FunctionCallContent>()];
                if (open.Count == 0) open = null;
            }
            else if (step.Kind == StepKinds.Tool && open is not null && step.CallId is { } id && open.Exists(c => c.CallId == id))
            {
                results.Add((id, step.Output ?? "", ToolExcerpt(step)));
            }
        }
        Close();
    }

    private static string ToolExcerpt(JobStep step) =>
        $"{step.Name}: {(step.IsError ? "error: " : "")}{Tools.ToolResult.Shorten(step.Output ?? "")}";

    private static ChatMessage? Reply(string? stored)
    {
        if (stored is null) return null;
        try
        {
            var node = JsonNode.Parse(stored);
            var contents = new List<AIContent>();
            if (node?["text"]?.GetValue<string>() is { Length: > 0 } text) contents.Add(new TextContent(text));
            foreach (var call in node?["calls"]?.AsArray() ?? [])
            {
                var arguments = call?["arguments"] is JsonObject o
                    ? o.ToDictionary(p => p.Key, p => (object?)(p.Value is null ? null : JsonSerializer.SerializeToElement(p.Value)))
                    : new Dictionary<string, object?>();
                contents.Add(new FunctionCallContent(call!["id"]!.GetValue<string>(), call["name"]!.GetValue<string>(), arguments));
            }
            return contents.Count == 0 ? null : new ChatMessage(ChatRole.Assistant, contents);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            return null; // a step this version cannot read is skipped, not fatal
        }
    }

    private void Compact()
    {
        if (_results.Count <= KeepResults) return;
        var at = _results.Count - KeepResults - 1;
        var (message, index, excerpts) = _results[at];
        if (message.AdditionalProperties?.ContainsKey("compacted") == true) return;
        var results = message.Contents.OfType<FunctionResultContent>().ToList();
        var shortened = new ChatMessage(ChatRole.Tool, [.. results.Select((r, i) => (AIContent)new FunctionResultContent(r.CallId,
            $"[Earlier result, shortened to keep the context small; run the tool again to see it in full.] {(i < excerpts.Length ? excerpts[i] : "")}"))])
        {
            AdditionalProperties = new AdditionalPropertiesDictionary { ["compacted"] = true },
        };
        _messages[index] = shortened;
        _results[at] = (shortened, index, excerpts);
    }
}
