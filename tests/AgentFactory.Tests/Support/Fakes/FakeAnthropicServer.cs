using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// Anthropic's POST /v1/messages, playing a <see cref="ReplyScript"/>: text and tool_use blocks,
/// usage, stop_reason "max_tokens", and with "stream": true the SSE events the real API sends
/// (message_start, content_block_start/delta/stop with text_delta and input_json_delta,
/// message_delta with the stop reason and output tokens, message_stop). Errors (429, 529
/// overloaded, 500, 401) are injected with <see cref="FakeServer.Fail"/> and <see cref="ErrorBody"/>.
/// </summary>
public sealed class FakeAnthropicServer : FakeServer
{
    public const string MessagesPath = "/v1/messages";

    private int _ids;

    public ReplyScript Script { get; } = new();

    public static async Task<FakeAnthropicServer> StartAsync(string reply = "Looks fine.")
    {
        var fake = new FakeAnthropicServer();
        fake.Script.Default = ScriptedReply.Say(reply);
        await fake.ListenAsync();
        return fake;
    }

    public IEnumerable<RecordedRequest> Messages => Requests.Where(r => r.Path == MessagesPath);

    /// <summary>Anthropic's error body, e.g. ("rate_limit_error", …), ("overloaded_error", …), ("authentication_error", …).</summary>
    public static string ErrorBody(string type, string message) =>
        new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = type, ["message"] = message } }.ToJsonString();

    protected override void Map(WebApplication app) =>
        app.MapPost(MessagesPath, async (HttpContext context) =>
        {
            var body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!;
            var reply = Script.Next();
            if (reply.Hang)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }
            var id = $"msg_{Interlocked.Increment(ref _ids)}";
            var model = body["model"]?.GetValue<string>();
            if (body["stream"]?.GetValue<bool>() == true) await StreamAsync(context.Response, reply, id, model);
            else await context.Response.WriteAsJsonAsync(Message(reply, id, model));
        });

    private static string StopReason(ScriptedReply r) => r.Truncated ? "max_tokens" : r.ToolCalls.Count > 0 ? "tool_use" : "end_turn";

    private static string CallId(ScriptedToolCall call, int index) => call.Id ?? $"toolu_{index}";

    private static JsonObject Usage(ScriptedReply r, int output) => new() { ["input_tokens"] = r.OmitUsage ? 0 : r.InputTokens, ["output_tokens"] = r.OmitUsage ? 0 : output };

    private static JsonObject Message(ScriptedReply r, string id, string? model)
    {
        var content = new JsonArray();
        if (r.Text is not null) content.Add(new JsonObject { ["type"] = "text", ["text"] = r.Text });
        for (var i = 0; i < r.ToolCalls.Count; i++)
            content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = CallId(r.ToolCalls[i], i), ["name"] = r.ToolCalls[i].Name, ["input"] = JsonNode.Parse(r.ToolCalls[i].Arguments) });
        return new JsonObject
        {
            ["id"] = id, ["type"] = "message", ["role"] = "assistant", ["model"] = model, ["content"] = content,
            ["stop_reason"] = StopReason(r), ["stop_sequence"] = null, ["usage"] = Usage(r, r.OutputTokens),
        };
    }

    private static async Task StreamAsync(HttpResponse response, ScriptedReply r, string id, string? model)
    {
        Sse.Start(response);
        Task Event(string type, JsonObject data)
        {
            data["type"] = type;
            return Sse.WriteAsync(response, data.ToJsonString(), type);
        }

        await Event("message_start", new JsonObject
        {
            ["message"] = new JsonObject
            {
                ["id"] = id, ["type"] = "message", ["role"] = "assistant", ["model"] = model, ["content"] = new JsonArray(),
                ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = Usage(r, 1),
            },
        });
        var index = 0;
        if (r.Text is not null)
        {
            await Event("content_block_start", new JsonObject { ["index"] = index, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } });
            await Event("ping", []);
            foreach (var piece in ScriptedReply.Pieces(r.Text))
                await Event("content_block_delta", new JsonObject { ["index"] = index, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = piece } });
            await Event("content_block_stop", new JsonObject { ["index"] = index++ });
        }
        for (var i = 0; i < r.ToolCalls.Count; i++, index++)
        {
            var call = r.ToolCalls[i];
            await Event("content_block_start", new JsonObject
            {
                ["index"] = index,
                ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = CallId(call, i), ["name"] = call.Name, ["input"] = new JsonObject() },
            });
            foreach (var piece in ScriptedReply.Pieces(call.Arguments))
                await Event("content_block_delta", new JsonObject { ["index"] = index, ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = piece } });
            await Event("content_block_stop", new JsonObject { ["index"] = index });
        }
        await Event("message_delta", new JsonObject
        {
            ["delta"] = new JsonObject { ["stop_reason"] = StopReason(r), ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = r.OmitUsage ? 0 : r.OutputTokens },
        });
        await Event("message_stop", []);
    }
}
