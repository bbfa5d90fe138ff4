using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// OpenAI's POST /v1/chat/completions, playing a <see cref="ReplyScript"/>: text, tool_calls,
/// usage, finish_reason "length", and with "stream": true the SSE chunks the real API sends (text
/// and tool-call argument deltas, then the finish reason, then a usage chunk when
/// stream_options.include_usage asks for it, then [DONE]). Errors (429 with Retry-After, 500, 401)
/// are injected with <see cref="FakeServer.Fail"/> and <see cref="ErrorBody"/>. The same script also
/// answers the Responses API (POST /v1/responses, <see cref="FakeOpenAiResponses"/>).
/// </summary>
public sealed class FakeOpenAiServer : FakeServer
{
    public const string CompletionsPath = "/v1/chat/completions";

    private int _ids;

    public ReplyScript Script { get; } = new();

    /// <summary>Every chat completion waits for this before it answers (a model that is slow until the test says so).</summary>
    public Task Gate { get; set; } = Task.CompletedTask;

    /// <summary>The endpoint to configure as LLM_BASE_URL or models.NAME.baseUrl.</summary>
    public Uri V1 => new(BaseUrl, "v1");

    /// <summary>A server whose every reply is <paramref name="reply"/> unless a script says otherwise.</summary>
    public static async Task<FakeOpenAiServer> StartAsync(string reply = "Looks fine.")
    {
        var fake = new FakeOpenAiServer();
        fake.Script.Default = ScriptedReply.Say(reply);
        await fake.ListenAsync();
        return fake;
    }

    public IEnumerable<RecordedRequest> Completions => Requests.Where(r => r.Path == CompletionsPath);

    /// <summary>OpenAI's error body.</summary>
    public static string ErrorBody(string message, string type = "invalid_request_error", string? code = null) =>
        new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = code } }.ToJsonString();

    /// <summary>The user message of a recorded chat request.</summary>
    public static string UserMessage(RecordedRequest r) =>
        JsonNode.Parse(r.Body)!["messages"]!.AsArray().Last(m => m!["role"]!.GetValue<string>() == "user")!["content"]!.ToString();

    /// <summary>Requests to the Responses API (<see cref="FakeOpenAiResponses"/>), which the same script plays.</summary>
    public IEnumerable<RecordedRequest> Responses => Requests.Where(r => r.Path == FakeOpenAiResponses.Path);

    protected override void Map(WebApplication app)
    {
        app.MapPost(FakeOpenAiResponses.Path, async (HttpContext context) =>
        {
            var body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!;
            var reply = Script.Next();
            if (reply.Hang)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }
            var id = $"resp_{Interlocked.Increment(ref _ids)}";
            var model = body["model"]?.GetValue<string>();
            if (body["stream"]?.GetValue<bool>() == true) await FakeOpenAiResponses.StreamAsync(context.Response, reply, id, model);
            else await context.Response.WriteAsJsonAsync(FakeOpenAiResponses.Response(reply, id, model));
        });
        MapCompletions(app);
    }

    private void MapCompletions(WebApplication app) =>
        app.MapPost(CompletionsPath, async (HttpContext context) =>
        {
            var body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!;
            await Gate.WaitAsync(context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            if (context.RequestAborted.IsCancellationRequested) return;
            var reply = Script.Next();
            if (reply.Hang)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }
            var id = $"chatcmpl-{Interlocked.Increment(ref _ids)}";
            var model = body["model"]?.GetValue<string>();
            if (body["stream"]?.GetValue<bool>() == true)
                await StreamAsync(context.Response, reply, id, model, body["stream_options"]?["include_usage"]?.GetValue<bool>() == true);
            else
                await context.Response.WriteAsJsonAsync(Completion(reply, id, model));
        });

    private static string FinishReason(ScriptedReply r) => r.Truncated ? "length" : r.ToolCalls.Count > 0 ? "tool_calls" : "stop";

    private static string CallId(ScriptedToolCall call, int index) => call.Id ?? $"call_{index}";

    private static JsonObject Usage(ScriptedReply r) => new()
    {
        ["prompt_tokens"] = r.InputTokens, ["completion_tokens"] = r.OutputTokens, ["total_tokens"] = r.InputTokens + r.OutputTokens,
    };

    private static JsonObject Completion(ScriptedReply r, string id, string? model)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = r.Text };
        if (r.ToolCalls.Count > 0)
            message["tool_calls"] = new JsonArray([.. r.ToolCalls.Select((c, i) => (JsonNode)new JsonObject
            {
                ["id"] = CallId(c, i), ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
            })]);
        var completion = new JsonObject
        {
            ["id"] = id, ["object"] = "chat.completion", ["created"] = 1_700_000_000, ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["finish_reason"] = FinishReason(r), ["message"] = message }),
        };
        if (!r.OmitUsage) completion["usage"] = Usage(r);
        return completion;
    }

    private static async Task StreamAsync(HttpResponse response, ScriptedReply r, string id, string? model, bool includeUsage)
    {
        Sse.Start(response);
        Task Chunk(JsonObject delta, string? finish = null, JsonObject? usage = null)
        {
            var chunk = new JsonObject
            {
                ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = 1_700_000_000, ["model"] = model,
                ["choices"] = usage is not null ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
            };
            if (usage is not null) chunk["usage"] = usage;
            return Sse.WriteAsync(response, chunk.ToJsonString());
        }

        await Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" });
        foreach (var piece in ScriptedReply.Pieces(r.Text ?? "")) await Chunk(new JsonObject { ["content"] = piece });
        for (var i = 0; i < r.ToolCalls.Count; i++)
        {
            var call = r.ToolCalls[i];
            await Chunk(new JsonObject
            {
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["index"] = i, ["id"] = CallId(call, i), ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = "" },
                }),
            });
            foreach (var piece in ScriptedReply.Pieces(call.Arguments))
                await Chunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = i, ["function"] = new JsonObject { ["arguments"] = piece } }) });
        }
        await Chunk(new JsonObject(), FinishReason(r));
        if (includeUsage && !r.OmitUsage) await Chunk(new JsonObject(), usage: Usage(r));
        await Sse.WriteAsync(response, "[DONE]");
    }
}
