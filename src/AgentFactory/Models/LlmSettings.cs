using System.Globalization;
using AgentFactory.Hosting;

namespace AgentFactory.Models;

/// <summary>
/// The model named "default", from the LLM_* environment variables: LLM_PROVIDER (openai or
/// anthropic), LLM_BASE_URL (for openai the URL that ends in /v1: OpenAI, Ollama, vLLM …),
/// LLM_API_KEY, LLM_MODEL, LLM_MAX_INPUT_TOKENS, LLM_TIMEOUT_SECONDS, LLM_CONTEXT_WINDOW,
/// LLM_MAX_OUTPUT_TOKENS, LLM_INPUT_USD_PER_MILLION, LLM_OUTPUT_USD_PER_MILLION, LLM_MAX_RETRIES.
/// Without LLM_MODEL there is no default model and agents write their deterministic text.
/// Values are only parsed here; <see cref="ModelCatalog"/> checks them with the routing file's models.
/// </summary>
public sealed class LlmSettings
{
    public static readonly Uri OpenAiApi = new("https://api.openai.com/v1");

    public const int CharsPerToken = ModelSpec.CharsPerToken;

    /// <summary>"openai" or "anthropic"; null is openai.</summary>
    public string? Provider { get; init; }

    /// <summary>Null: the provider's public API.</summary>
    public Uri? BaseUrl { get; init; }

    public string? ApiKey { get; init; }
    public string? Model { get; init; }

    /// <summary>The prompt budget in tokens; null: 12000 or what the context window leaves.</summary>
    public long? MaxInputTokens { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(ModelSpec.DefaultTimeoutSeconds);
    public long? ContextWindow { get; init; }
    public int? MaxOutputTokens { get; init; }
    public decimal? InputUsdPerMillion { get; init; }
    public decimal? OutputUsdPerMillion { get; init; }
    public int MaxRetries { get; init; } = ModelSpec.DefaultMaxRetries;

    public bool Configured => Model is not null;

    /// <summary>The prompt budget in characters when nothing else limits it.</summary>
    public long MaxInputChars => (MaxInputTokens ?? ModelSpec.DefaultMaxInputTokens) * CharsPerToken;

    /// <summary>The same settings in the routing file's shape, so one check serves both.</summary>
    public ModelEntry ToEntry() => new()
    {
        Provider = Provider,
        BaseUrl = BaseUrl?.AbsoluteUri,
        Model = Model,
        ContextWindow = ContextWindow,
        MaxOutputTokens = MaxOutputTokens,
        MaxInputTokens = MaxInputTokens,
        InputUsdPerMillion = InputUsdPerMillion,
        OutputUsdPerMillion = OutputUsdPerMillion,
        TimeoutSeconds = Timeout.TotalSeconds,
        MaxRetries = MaxRetries,
    };

    public static LlmSettings Load(EnvReader env)
    {
        var baseUrl = env.Url("LLM_BASE_URL");
        var key = env.Get("LLM_API_KEY");
        var model = env.Get("LLM_MODEL");
        var provider = env.Get("LLM_PROVIDER")?.ToLowerInvariant();
        if (provider is not (null or "openai" or "anthropic"))
            env.Error($"LLM_PROVIDER must be 'openai' (any OpenAI-compatible endpoint) or 'anthropic' (got '{provider}').");
        if (model is null && baseUrl is not null)
            env.Error("LLM_BASE_URL is set but LLM_MODEL is not: name the model to use, e.g. gpt-4o-mini (OpenAI), llama3.1 (Ollama) or the --model you gave vLLM.");
        if (model is not null && baseUrl is null && key is null)
            env.Error(provider == "anthropic"
                ? "LLM_MODEL is set but LLM_API_KEY is not: set the Anthropic API key, or LLM_BASE_URL for another server that speaks the Messages API."
                : "LLM_MODEL is set but neither LLM_BASE_URL nor LLM_API_KEY is: set LLM_API_KEY for OpenAI, or LLM_BASE_URL for another server (e.g. http://localhost:11434/v1 for Ollama).");
        return new LlmSettings
        {
            Provider = provider,
            BaseUrl = baseUrl,
            ApiKey = key,
            Model = model,
            MaxInputTokens = env.WholeNumber("LLM_MAX_INPUT_TOKENS", 500, 100_000_000),
            Timeout = env.Seconds("LLM_TIMEOUT_SECONDS", ModelSpec.DefaultTimeoutSeconds, 5, 3600),
            ContextWindow = env.WholeNumber("LLM_CONTEXT_WINDOW", 1, 100_000_000),
            MaxOutputTokens = (int?)env.WholeNumber("LLM_MAX_OUTPUT_TOKENS", 1, 10_000_000),
            InputUsdPerMillion = Usd(env, "LLM_INPUT_USD_PER_MILLION"),
            OutputUsdPerMillion = Usd(env, "LLM_OUTPUT_USD_PER_MILLION"),
            MaxRetries = env.Count("LLM_MAX_RETRIES", ModelSpec.DefaultMaxRetries, 0, 10),
        };
    }

    private static decimal? Usd(EnvReader env, string name)
    {
        var raw = env.Get(name);
        if (raw is null) return null;
        if (decimal.TryParse(raw, NumberStyles.Number, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= ModelCatalog.MaxPrice) return v;
        env.Error($"{name} must be a price in USD per million tokens from 0 to {ModelCatalog.MaxPrice}, e.g. 0.15 (got '{raw}').");
        return null;
    }
}
