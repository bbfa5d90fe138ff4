using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>One tool call a scripted model makes. <see cref="Arguments"/> is sent as written, so it may be malformed on purpose.</summary>
public sealed record ScriptedToolCall(string Name, string Arguments, string? Id = null);

/// <summary>
/// One reply of a scripted model, rendered by <see cref="FakeOpenAiServer"/> and
/// <see cref="FakeAnthropicServer"/> in their providers' wire formats, streamed or not.
/// </summary>
public sealed record ScriptedReply
{
    public string? Text { get; init; }
    public IReadOnlyList<ScriptedToolCall> ToolCalls { get; init; } = [];

    /// <summary>The reply stopped at the output limit: finish_reason "length" / stop_reason "max_tokens".</summary>
    public bool Truncated { get; init; }

    public int InputTokens { get; init; } = 100;
    public int OutputTokens { get; init; } = 10;

    /// <summary>Send no usage at all (some local servers do not).</summary>
    public bool OmitUsage { get; init; }

    /// <summary>Never answer: hold the request until the client gives up.</summary>
    public bool Hang { get; init; }

    public static ScriptedReply Say(string text, int inputTokens = 100, int outputTokens = 10) =>
        new() { Text = text, InputTokens = inputTokens, OutputTokens = outputTokens };

    public static ScriptedReply Call(string name, string arguments, string? id = null, int inputTokens = 100, int outputTokens = 10) =>
        new() { ToolCalls = [new ScriptedToolCall(name, arguments, id)], InputTokens = inputTokens, OutputTokens = outputTokens };

    public static ScriptedReply Cut(string text) => new() { Text = text, Truncated = true };

    /// <summary>Splits text into a few pieces, so streamed replies arrive as several deltas.</summary>
    internal static IEnumerable<string> Pieces(string text, int parts = 3)
    {
        if (text.Length == 0) yield break;
        var size = Math.Max(1, (text.Length + parts - 1) / parts);
        for (var i = 0; i < text.Length; i += size) yield return text.Substring(i, Math.Min(size, text.Length - i));
    }
}

/// <summary>The replies a scripted fake plays, in order; when none is left it plays <see cref="Default"/>.</summary>
public sealed class ReplyScript
{
    private readonly ConcurrentQueue<ScriptedReply> _queue = new();

    public ScriptedReply Default { get; set; } = ScriptedReply.Say("Looks fine.");

    public void Enqueue(params ScriptedReply[] replies)
    {
        foreach (var r in replies) _queue.Enqueue(r);
    }

    public ScriptedReply Next() => _queue.TryDequeue(out var r) ? r : Default;
}

/// <summary>Server-sent events, as both providers stream them.</summary>
internal static class Sse
{
    public static void Start(HttpResponse response)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
    }

    public static async Task WriteAsync(HttpResponse response, string data, string? eventName = null)
    {
        var text = new StringBuilder();
        if (eventName is not null) text.Append("event: ").Append(eventName).Append('\n');
        text.Append("data: ").Append(data).Append("\n\n");
        await response.WriteAsync(text.ToString());
        await response.Body.FlushAsync();
    }
}
