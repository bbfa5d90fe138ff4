namespace AgentFactory.Models;

/// <summary>
/// One model as written under "models" in the routing file. Every field is optional here so that
/// start-up can name each missing or bad one (<c>models.NAME.FIELD</c>); the checked form is
/// <see cref="ModelSpec"/>. The API key itself is never in the file: <see cref="ApiKeyEnv"/> names
/// the environment variable that holds it.
/// </summary>
public sealed class ModelEntry
{
    /// <summary>"openai" (any OpenAI-compatible chat-completions endpoint) or "anthropic" (the Messages API). Default "openai".</summary>
    public string? Provider { get; set; }

    /// <summary>The endpoint: for "openai" the URL that ends in /v1; for "anthropic" the root (the SDK adds /v1/messages).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The provider's model id, e.g. "gpt-4.1-mini", "claude-sonnet-4-5", "qwen2.5-coder:7b".</summary>
    public string? Model { get; set; }

    /// <summary>The NAME of the environment variable that holds the key (VAR_FILE works too), e.g. "OPENAI_API_KEY".</summary>
    public string? ApiKeyEnv { get; set; }

    /// <summary>The model's context window in tokens. Unset: unknown, and no call is refused for its size.</summary>
    public long? ContextWindow { get; set; }

    /// <summary>The most tokens one reply may have; sent with every call. Required for "anthropic" and for token or USD budgets.</summary>
    public int? MaxOutputTokens { get; set; }

    /// <summary>The prompt budget agents fit their prompts into. Default 12000, or less to leave room for the reply in the context window.</summary>
    public long? MaxInputTokens { get; set; }

    /// <summary>USD per million input tokens. Unset (with <see cref="OutputUsdPerMillion"/>): the cost is unknown.</summary>
    public decimal? InputUsdPerMillion { get; set; }

    /// <summary>USD per million output tokens.</summary>
    public decimal? OutputUsdPerMillion { get; set; }

    /// <summary>How long one request may take, in seconds. Default 120.</summary>
    public double? TimeoutSeconds { get; set; }

    /// <summary>Retries after a 408, 409, 429, 5xx or network error. Default 3.</summary>
    public int? MaxRetries { get; set; }
}
