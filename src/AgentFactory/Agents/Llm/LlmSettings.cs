using AgentFactory.Hosting;
namespace AgentFactory.Agents.Llm;

/// <summary>
/// An OpenAI-compatible chat endpoint: LLM_BASE_URL (the URL that ends in /v1: OpenAI, Ollama,
/// vLLM, LM Studio …), LLM_API_KEY, LLM_MODEL, LLM_MAX_INPUT_TOKENS, LLM_TIMEOUT_SECONDS. Without
/// LLM_MODEL no LLM is used and agents write their deterministic text instead.
/// </summary>
public sealed class LlmSettings
{
    public static readonly Uri OpenAiApi = new("https://api.openai.com/v1");

    public Uri BaseUrl { get; init; } = OpenAiApi;
    public string? ApiKey { get; init; }
    public string? Model { get; init; }

    /// <summary>The prompt budget, estimated at ~4 characters per token.</summary>
    public int MaxInputTokens { get; init; } = 12_000;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    public bool Configured => Model is not null;

    public const int CharsPerToken = 4;

    public int MaxInputChars => MaxInputTokens * CharsPerToken;

    public static LlmSettings Load(EnvReader env)
    {
        var baseUrl = env.Url("LLM_BASE_URL");
        var key = env.Get("LLM_API_KEY");
        var model = env.Get("LLM_MODEL");
        if (model is null && baseUrl is not null)
            env.Error("LLM_BASE_URL is set but LLM_MODEL is not: name the model to use, e.g. gpt-4o-mini (OpenAI), llama3.1 (Ollama) or the --model you gave vLLM.");
        if (model is not null && baseUrl is null && key is null)
            env.Error("LLM_MODEL is set but neither LLM_BASE_URL nor LLM_API_KEY is: set LLM_API_KEY for OpenAI, or LLM_BASE_URL for another server (e.g. http://localhost:11434/v1 for Ollama).");
        return new LlmSettings
        {
            BaseUrl = baseUrl ?? OpenAiApi,
            ApiKey = key,
            Model = model,
            MaxInputTokens = env.Count("LLM_MAX_INPUT_TOKENS", 12_000, 500, 2_000_000),
            Timeout = env.Seconds("LLM_TIMEOUT_SECONDS", 120, 5, 3600),
        };
    }
}
