using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentFactory.Models;

/// <summary>
/// Tokens estimated from characters (<see cref="ModelSpec.CharsPerToken"/> per token), for the
/// worst case reserved before a call and for usage a provider did not report. Deliberately simple:
/// the settled figure is the provider's own count whenever it sends one.
/// </summary>
internal static class TokenEstimate
{
    /// <summary>Per message, for the role and the framing the provider adds.</summary>
    private const int MessageOverheadChars = 16;

    public static long Input(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        long chars = options?.Instructions?.Length ?? 0;
        foreach (var m in messages) chars += MessageOverheadChars + Chars(m.Contents);
        foreach (var tool in options?.Tools ?? [])
        {
            chars += MessageOverheadChars + tool.Name.Length + tool.Description.Length;
            if (tool is AIFunctionDeclaration f) chars += f.JsonSchema.GetRawText().Length;
        }
        return ModelSpec.EstimateTokens(chars);
    }

    public static long Output(ChatResponse response) =>
        ModelSpec.EstimateTokens(response.Messages.Sum(m => Chars(m.Contents)));

    private static long Chars(IEnumerable<AIContent> contents)
    {
        long chars = 0;
        foreach (var c in contents)
        {
            chars += c switch
            {
                TextContent t => t.Text.Length,
                TextReasoningContent r => r.Text.Length,
                FunctionCallContent call => call.Name.Length + (call.Arguments is null ? 0 : JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions).Length),
                FunctionResultContent result => result.Result switch
                {
                    null => 0,
                    string s => s.Length,
                    JsonElement j => j.GetRawText().Length,
                    var other => JsonSerializer.Serialize(other, AIJsonUtilities.DefaultOptions).Length,
                },
                _ => 0,
            };
        }
        return chars;
    }
}
