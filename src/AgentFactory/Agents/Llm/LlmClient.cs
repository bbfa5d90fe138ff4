using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;

namespace AgentFactory.Agents.Llm;

/// <summary>One chat completion: a system and a user message in, the assistant's text out.</summary>
public interface ILlm
{
    bool Configured { get; }

    /// <summary>The model's name, for the footers of what agents post.</summary>
    string Model { get; }

    /// <summary>The prompt budget in characters (LLM_MAX_INPUT_TOKENS × ~4).</summary>
    int MaxInputChars { get; }

    Task<string> CompleteAsync(string system, string user, CancellationToken ct);
}

/// <summary>
/// <see cref="ILlm"/> over the official OpenAI client pointed at LLM_BASE_URL, so hosted APIs and
/// local servers alike work. A 4xx that will not change (bad key, unknown model) is permanent;
/// 429 and 5xx have been retried by the client and then fail the attempt so the job is retried.
/// </summary>
public sealed class OpenAiLlm(LlmSettings settings) : ILlm
{
    private readonly ChatClient? _client = settings.Configured
        ? new ChatClient(settings.Model, new ApiKeyCredential(settings.ApiKey ?? "not-needed"), new OpenAIClientOptions
        {
            Endpoint = settings.BaseUrl,
            NetworkTimeout = settings.Timeout,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 2),
        })
        : null;

    public bool Configured => _client is not null;
    public string Model => settings.Model ?? "none";
    public int MaxInputChars => settings.MaxInputChars;

    public async Task<string> CompleteAsync(string system, string user, CancellationToken ct)
    {
        if (_client is null) throw new InvalidOperationException("No LLM is configured (LLM_MODEL).");
        ChatMessage[] messages = [new SystemChatMessage(system), new UserChatMessage(user)];
        try
        {
            ChatCompletion completion = await _client.CompleteChatAsync(messages, new ChatCompletionOptions(), ct);
            var text = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text)).Trim();
            return text.Length > 0 ? text : throw new InvalidOperationException($"The LLM ({Model}) returned no text (finish reason {completion.FinishReason}).");
        }
        catch (ClientResultException e) when (e.Status is >= 400 and < 500 and not 408 and not 409 and not 429)
        {
            throw new PermanentAgentException($"The LLM endpoint {settings.BaseUrl} answered {e.Status} for model '{Model}': {FirstLine(e.Message)}. Check LLM_BASE_URL, LLM_API_KEY and LLM_MODEL.", e);
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
