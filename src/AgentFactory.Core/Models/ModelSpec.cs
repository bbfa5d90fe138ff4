namespace AgentFactory.Models;

/// <summary>Which wire protocol a model speaks.</summary>
public enum ModelProvider
{
    /// <summary>OpenAI's chat completions: OpenAI, Azure OpenAI's v1 API, OpenRouter, vLLM, Ollama, llama.cpp server, LM Studio …</summary>
    OpenAI,

    /// <summary>Anthropic's Messages API.</summary>
    Anthropic,
}

/// <summary>What a model costs, in USD per million tokens. A model without prices has an unknown cost.</summary>
public sealed record ModelPrices(decimal InputUsdPerMillion, decimal OutputUsdPerMillion)
{
    public decimal Cost(long inputTokens, long outputTokens) =>
        (inputTokens * InputUsdPerMillion + outputTokens * OutputUsdPerMillion) / 1_000_000m;
}

/// <summary>
/// One model of the catalog, checked at start-up: where it is, what it may be sent and what it
/// costs. Limits and prices are what the operator wrote, never guessed: null means unknown.
/// The key is not here (see the catalog); <see cref="ApiKeyVariable"/> only names where it is.
/// </summary>
public sealed record ModelSpec
{
    /// <summary>The prompt budget's estimate: about four characters per token.</summary>
    public const int CharsPerToken = 4;

    public const long DefaultMaxInputTokens = 12_000;
    public const double DefaultTimeoutSeconds = 120;
    public const int DefaultMaxRetries = 3;

    /// <summary>The catalog name ("default" for the LLM_* variables).</summary>
    public required string Name { get; init; }

    public required ModelProvider Provider { get; init; }
    public required Uri BaseUrl { get; init; }

    /// <summary>The provider's model id.</summary>
    public required string ModelId { get; init; }

    /// <summary>The environment variable the key was read from, or null when the model needs none.</summary>
    public string? ApiKeyVariable { get; init; }

    public long? ContextWindow { get; init; }
    public int? MaxOutputTokens { get; init; }
    public long MaxInputTokens { get; init; } = DefaultMaxInputTokens;
    public ModelPrices? Prices { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(DefaultTimeoutSeconds);
    public int MaxRetries { get; init; } = DefaultMaxRetries;

    /// <summary>True for the model made from the LLM_* environment variables; messages then name those.</summary>
    public bool FromEnvironment { get; init; }

    /// <summary>The prompt budget in characters.</summary>
    public long MaxInputChars => MaxInputTokens * CharsPerToken;

    /// <summary>Tokens for a text of <paramref name="chars"/> characters, rounded up.</summary>
    public static long EstimateTokens(long chars) => (chars + CharsPerToken - 1) / CharsPerToken;

    /// <summary>The USD cost of these tokens, or null when the model has no prices.</summary>
    public decimal? Cost(long inputTokens, long outputTokens) => Prices?.Cost(inputTokens, outputTokens);

    /// <summary>The name a user sets for <paramref name="field"/> (a <see cref="ModelEntry"/> property in camelCase).</summary>
    public string Setting(string field) => SettingName(Name, field, FromEnvironment);

    /// <summary>The setting for <paramref name="field"/> of model <paramref name="name"/>: "models.NAME.FIELD", or its LLM_* variable.</summary>
    public static string SettingName(string name, string field, bool fromEnvironment) =>
        fromEnvironment ? EnvironmentVariable(field) : $"models.{name}.{field}";

    /// <summary>Where the key comes from, for messages: "LLM_API_KEY" or "OPENAI_API_KEY (models.gpt.apiKeyEnv)".</summary>
    public string KeySetting => FromEnvironment ? "LLM_API_KEY"
        : ApiKeyVariable is null ? $"{Setting("apiKeyEnv")} (unset)" : $"{ApiKeyVariable} ({Setting("apiKeyEnv")})";

    /// <summary>
    /// Why these budgets cannot be enforced on this model, or null when they can. A USD budget needs
    /// prices; a USD or output-token budget needs the output limit that bounds one call's worst case.
    /// </summary>
    public string? CannotEnforce(BudgetLimits limits, string budgetSetting)
    {
        var usd = limits.UsdPerJob is not null || limits.UsdPerRepositoryPerDay is not null;
        if (usd && Prices is null)
            return $"{budgetSetting} sets a USD budget, but model '{Name}' has no prices, so its cost is unknown: set {Setting("inputUsdPerMillion")} and {Setting("outputUsdPerMillion")}, or remove the USD budget.";
        if ((usd || limits.OutputTokens is not null) && MaxOutputTokens is null)
            return $"{budgetSetting} sets a USD or output-token budget, but model '{Name}' has no output limit, so a call's worst case is unknown: set {Setting("maxOutputTokens")}.";
        return null;
    }

    private static string EnvironmentVariable(string field) => field switch
    {
        "provider" => "LLM_PROVIDER",
        "baseUrl" => "LLM_BASE_URL",
        "model" => "LLM_MODEL",
        "apiKeyEnv" => "LLM_API_KEY",
        "contextWindow" => "LLM_CONTEXT_WINDOW",
        "maxOutputTokens" => "LLM_MAX_OUTPUT_TOKENS",
        "maxInputTokens" => "LLM_MAX_INPUT_TOKENS",
        "inputUsdPerMillion" => "LLM_INPUT_USD_PER_MILLION",
        "outputUsdPerMillion" => "LLM_OUTPUT_USD_PER_MILLION",
        "timeoutSeconds" => "LLM_TIMEOUT_SECONDS",
        "maxRetries" => "LLM_MAX_RETRIES",
        _ => "LLM_" + field.ToUpperInvariant(),
    };
}
