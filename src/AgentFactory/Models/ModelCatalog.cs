using System.Globalization;
using System.Text.RegularExpressions;
using AgentFactory.Hosting;

namespace AgentFactory.Models;

/// <summary>
/// Every configured model by name: the routing file's "models" plus "default" from the LLM_*
/// variables. Built and checked once at start-up: every problem is reported together, each naming
/// its setting. API keys are read from the variables the entries name and are kept only here.
/// </summary>
public sealed partial class ModelCatalog
{
    public const string DefaultName = "default";
    public const decimal MaxPrice = 10_000m;

    public static readonly Uri AnthropicApi = new("https://api.anthropic.com");

    private readonly Dictionary<string, ModelSpec> _specs;
    private readonly Dictionary<string, string?> _keys;

    private ModelCatalog(Dictionary<string, ModelSpec> specs, Dictionary<string, string?> keys) => (_specs, _keys) = (specs, keys);

    public IReadOnlyCollection<ModelSpec> Models => _specs.Values;

    public bool TryGet(string name, out ModelSpec spec) => _specs.TryGetValue(name, out spec!);

    /// <summary>
    /// This catalog with the model <paramref name="name"/> also serving as "default" (what agents without a model
    /// setting use): how `agentfactory replay --model` tries another model with the same agents.
    /// </summary>
    public ModelCatalog WithDefault(string name)
    {
        var chosen = _specs[name];
        var specs = new Dictionary<string, ModelSpec>(_specs, StringComparer.Ordinal) { [DefaultName] = chosen with { Name = DefaultName } };
        var keys = new Dictionary<string, string?>(_keys, StringComparer.Ordinal) { [DefaultName] = _keys.GetValueOrDefault(name) };
        return new ModelCatalog(specs, keys);
    }

    /// <summary>The key for a model; never logged, never in a message.</summary>
    internal string? KeyFor(string name) => _keys.GetValueOrDefault(name);

    /// <summary>Builds the catalog or throws <see cref="SettingsException"/> listing every problem. <paramref name="env"/> reads the variables named by apiKeyEnv.</summary>
    public static ModelCatalog Build(IReadOnlyDictionary<string, ModelEntry> models, LlmSettings llm, Func<string, string?> env)
    {
        var errors = new List<string>();
        var specs = new Dictionary<string, ModelSpec>(StringComparer.Ordinal);
        var keys = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (llm.Configured && models.ContainsKey(DefaultName))
            errors.Add("Both LLM_MODEL and models.default in the routing file define the model named \"default\": keep one of them.");
        else if (llm.Configured && Check(DefaultName, llm.ToEntry(), fromEnvironment: true, llm.ApiKey, errors) is { } fromEnv)
        {
            specs[DefaultName] = fromEnv;
            keys[DefaultName] = llm.ApiKey;
        }
        foreach (var (name, entry) in models)
        {
            if (!NamePattern().IsMatch(name))
            {
                errors.Add($"models.{name}: a model name may have letters, digits, '.', '_' and '-' only, starting with a letter or digit.");
                continue;
            }
            var key = entry.ApiKeyEnv is { } variable && EnvName().IsMatch(variable) ? env(variable) : null;
            if (Check(name, entry, fromEnvironment: false, key, errors) is { } spec)
            {
                specs[name] = spec;
                keys[name] = key;
            }
        }
        if (errors.Count > 0) throw new SettingsException("The model settings have problems:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        return new ModelCatalog(specs, keys);
    }

    /// <summary>Checks one entry; adds each problem to <paramref name="errors"/> and returns null when there was one.</summary>
    public static ModelSpec? Check(string name, ModelEntry e, bool fromEnvironment, string? key, List<string> errors)
    {
        var before = errors.Count;
        string S(string field) => ModelSpec.SettingName(name, field, fromEnvironment);

        var provider = e.Provider?.Trim().ToLowerInvariant() switch
        {
            null or "" or "openai" => ModelProvider.OpenAI,
            "anthropic" => ModelProvider.Anthropic,
            _ => Error<ModelProvider>(errors, $"{S("provider")} must be \"openai\" (any OpenAI-compatible endpoint) or \"anthropic\" (got '{e.Provider}')."),
        };
        if (string.IsNullOrWhiteSpace(e.Model))
            errors.Add($"{S("model")} is required: the provider's model id, e.g. \"gpt-4.1-mini\", \"claude-sonnet-4-5\" or \"qwen2.5-coder:7b\".");

        var publicApi = provider == ModelProvider.Anthropic ? AnthropicApi : LlmSettings.OpenAiApi;
        var baseUrl = publicApi;
        if (e.BaseUrl is not null)
        {
            if (Uri.TryCreate(e.BaseUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https") baseUrl = u;
            else errors.Add($"{S("baseUrl")} must be an absolute http(s) URL (got '{e.BaseUrl}').");
        }
        if (provider == ModelProvider.Anthropic && baseUrl.AbsolutePath.TrimEnd('/').EndsWith("/v1", StringComparison.Ordinal))
            errors.Add($"{S("baseUrl")} ends in /v1, but for provider anthropic it is the root the SDK adds /v1/messages to, e.g. {AnthropicApi}.");

        if (!fromEnvironment && e.ApiKeyEnv is { } variable)
        {
            if (!EnvName().IsMatch(variable))
                errors.Add($"{S("apiKeyEnv")} must be the NAME of an environment variable, e.g. \"OPENAI_API_KEY\" (got something else; never put the key itself in the routing file).");
            else if (key is null)
                errors.Add($"{S("apiKeyEnv")} names {variable}, which is not set (nor {variable}_FILE): set it to the API key.");
        }
        var isPublic = string.Equals(baseUrl.Host, publicApi.Host, StringComparison.OrdinalIgnoreCase);
        if (isPublic && key is null && (fromEnvironment || e.ApiKeyEnv is null))
            errors.Add(fromEnvironment
                ? $"LLM_API_KEY is required for {publicApi.Host}."
                : $"{S("apiKeyEnv")} is required for {publicApi.Host}: name the environment variable that holds the key, e.g. \"{(provider == ModelProvider.Anthropic ? "ANTHROPIC" : "OPENAI")}_API_KEY\".");

        Range(errors, S("contextWindow"), e.ContextWindow, 1, 100_000_000);
        Range(errors, S("maxOutputTokens"), e.MaxOutputTokens, 1, 10_000_000);
        Range(errors, S("maxInputTokens"), e.MaxInputTokens, 100, 100_000_000);
        Range(errors, S("maxRetries"), e.MaxRetries, 0, 10);
        if (e.TimeoutSeconds is { } t && t is not (>= 1 and <= 3600))
            errors.Add($"{S("timeoutSeconds")} must be a number of seconds from 1 to 3600 (got {t.ToString(CultureInfo.InvariantCulture)}).");
        if (provider == ModelProvider.Anthropic && e.MaxOutputTokens is null)
            errors.Add($"{S("maxOutputTokens")} is required for provider anthropic: the Messages API needs max_tokens on every call (see the model's documentation for its limit).");
        if (e.ContextWindow is { } window && e.MaxOutputTokens is { } output && output >= window)
            errors.Add($"{S("maxOutputTokens")} ({output}) must be less than {S("contextWindow")} ({window}): the reply shares the window with the prompt.");
        var room = e.ContextWindow is { } w ? w - (e.MaxOutputTokens ?? 0) : long.MaxValue;
        if (e.MaxInputTokens is { } input && input > room)
            errors.Add($"{S("maxInputTokens")} ({input}) plus {S("maxOutputTokens")} must fit {S("contextWindow")} ({e.ContextWindow}): lower it to {room} or less.");

        ModelPrices? prices = null;
        if (e.InputUsdPerMillion is null != e.OutputUsdPerMillion is null)
            errors.Add($"Set both {S("inputUsdPerMillion")} and {S("outputUsdPerMillion")}, or neither (the cost is then unknown).");
        else if (e.InputUsdPerMillion is { } pin && e.OutputUsdPerMillion is { } pout)
        {
            foreach (var (field, v) in new[] { ("inputUsdPerMillion", pin), ("outputUsdPerMillion", pout) })
                if (v is < 0 or > MaxPrice) errors.Add($"{S(field)} must be a price in USD per million tokens from 0 to {MaxPrice} (got {v.ToString(CultureInfo.InvariantCulture)}).");
            prices = new ModelPrices(pin, pout);
        }

        if (errors.Count > before) return null;
        return new ModelSpec
        {
            Name = name,
            Provider = provider,
            BaseUrl = baseUrl,
            ModelId = e.Model!.Trim(),
            ApiKeyVariable = fromEnvironment ? (key is null ? null : "LLM_API_KEY") : e.ApiKeyEnv,
            ContextWindow = e.ContextWindow,
            MaxOutputTokens = e.MaxOutputTokens,
            MaxInputTokens = e.MaxInputTokens ?? Math.Min(ModelSpec.DefaultMaxInputTokens, room),
            Prices = prices,
            Timeout = TimeSpan.FromSeconds(e.TimeoutSeconds ?? ModelSpec.DefaultTimeoutSeconds),
            MaxRetries = e.MaxRetries ?? ModelSpec.DefaultMaxRetries,
            FromEnvironment = fromEnvironment,
        };
    }

    private static void Range(List<string> errors, string setting, long? value, long min, long max)
    {
        if (value is { } v && (v < min || v > max)) errors.Add($"{setting} must be a whole number from {min} to {max} (got {v}).");
    }

    private static T Error<T>(List<string> errors, string message)
    {
        errors.Add(message);
        return default!;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();
}
