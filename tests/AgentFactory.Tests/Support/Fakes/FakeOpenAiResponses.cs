using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// OpenAI's Responses API (POST /v1/responses), which OpenAI's Codex CLI speaks: a <see cref="ScriptedReply"/>
/// becomes an assistant message item and function_call items, with usage; streamed as the real API's
/// events (response.created, response.output_item.added/done, response.output_text.delta,
/// response.function_call_arguments.delta/done, response.completed).
/// </summary>
internal static class FakeOpenAiResponses
{
    public const string Path = "/v1/responses";

    public static JsonObject Response(ScriptedReply r, string id, string? model) => new()
    {
        ["id"] = id, ["object"] = "response", ["created_at"] = 1_700_000_000, ["status"] = r.Truncated ? "incomplete" : "completed",
        ["model"] = model, ["output"] = new JsonArray([.. Items(r, id)]), ["usage"] = r.OmitUsage ? null : Usage(r),
        ["incomplete_details"] = r.Truncated ? new JsonObject { ["reason"] = "max_output_tokens" } : null,
    };

    public static async Task StreamAsync(HttpResponse response, ScriptedReply r, string id, string? model)
    {
        Sse.Start(response);
        var sequence = 0;
        Task Event(string type, JsonObject data)
        {
            data["type"] = type;
            data["sequence_number"] = sequence++;
            return Sse.WriteAsync(response, data.ToJsonString(), type);
        }

        var pending = Response(r, id, model);
        pending["status"] = "in_progress";
        pending["output"] = new JsonArray();
        pending["usage"] = null;
        await Event("response.created", new JsonObject { ["response"] = pending });
        var index = 0;
        foreach (var item in Items(r, id))
        {
            var itemId = item["id"]!.GetValue<string>();
            var added = item.DeepClone().AsObject();
            if (added["type"]!.GetValue<string>() == "message") added["content"] = new JsonArray();
            else added["arguments"] = "";
            added["status"] = "in_progress";
            await Event("response.output_item.added", new JsonObject { ["output_index"] = index, ["item"] = added });
            if (item["type"]!.GetValue<string>() == "message")
            {
                var text = r.Text ?? "";
                await Event("response.content_part.added", new JsonObject { ["item_id"] = itemId, ["output_index"] = index, ["content_index"] = 0, ["part"] = OutputText("") });
                foreach (var piece in ScriptedReply.Pieces(text))
                    await Event("response.output_text.delta", new JsonObject { ["item_id"] = itemId, ["output_index"] = index, ["content_index"] = 0, ["delta"] = piece });
                await Event("response.output_text.done", new JsonObject { ["item_id"] = itemId, ["output_index"] = index, ["content_index"] = 0, ["text"] = text });
                await Event("response.content_part.done", new JsonObject { ["item_id"] = itemId, ["output_index"] = index, ["content_index"] = 0, ["part"] = OutputText(text) });
            }
            else
            {
                var arguments = item["arguments"]!.GetValue<string>();
                foreach (var piece in ScriptedReply.Pieces(arguments))
                    await Event("response.function_call_arguments.delta", new JsonObject { ["item_id"] = itemId, ["output_index"] = index, ["delta"] = piece });
                await Event("response.function_call_arguments.done", new JsonObject { ["item_id"] = itemId, ["output_index"] = index, ["arguments"] = arguments });
            }
            await Event("response.output_item.done", new JsonObject { ["output_index"] = index++, ["item"] = item });
        }
        await Event(r.Truncated ? "response.incomplete" : "response.completed", new JsonObject { ["response"] = Response(r, id, model) });
    }

    private static IEnumerable<JsonObject> Items(ScriptedReply r, string id)
    {
        if (r.Text is not null)
            yield return new JsonObject
            {
                ["type"] = "message", ["id"] = $"msg_{id}", ["status"] = "completed", ["role"] = "assistant",
                ["content"] = new JsonArray(OutputText(r.Text)),
            };
        for (var i = 0; i < r.ToolCalls.Count; i++)
            yield return new JsonObject
            {
                ["type"] = "function_call", ["id"] = $"fc_{id}_{i}", ["status"] = "completed",
                ["call_id"] = r.ToolCalls[i].Id ?? $"call_{id}_{i}", ["name"] = r.ToolCalls[i].Name, ["arguments"] = r.ToolCalls[i].Arguments,
            };
    }

    private static JsonObject OutputText(string text) => new() { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray() };

    private static JsonObject Usage(ScriptedReply r) => new()
    {
        ["input_tokens"] = r.InputTokens, ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 },
        ["output_tokens"] = r.OutputTokens, ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
        ["total_tokens"] = r.InputTokens + r.OutputTokens,
    };
}
