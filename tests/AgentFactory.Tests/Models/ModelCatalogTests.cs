using AgentFactory.Agents;
using AgentFactory.Hosting;
using AgentFactory.Models;
using AgentFactory.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Models;

/// <summary>The catalog: the routing file's models plus LLM_* as "default", checked once, every problem named.</summary>
public sealed class ModelCatalogTests
{
    private const string Routing = """
        {
          "models": {
            "gpt": { "provider": "openai", "model": "gpt-4.1-mini", "apiKeyEnv": "OPENAI_API_KEY", "contextWindow": 1047576,
                     "maxOutputTokens": 32768, "inputUsdPerMillion": 0.4, "outputUsdPerMillion": 1.6 },
            "claude": { "provider": "anthropic", "model": "claude-sonnet-4-5", "apiKeyEnv": "ANTHROPIC_API_KEY", "contextWindow": 200000, "maxOutputTokens": 8192 },
            "local": { "baseUrl": "http://localhost:11434/v1", "model": "qwen2.5-coder:7b", "contextWindow": 8192, "maxOutputTokens": 1024, "timeoutSeconds": 600 }
          }
        }
        """;

    private static readonly Dictionary<string, string> Env = new()
    {
        ["LLM_MODEL"] = "gpt-4o-mini", ["LLM_API_KEY"] = "sk-default", ["LLM_MAX_OUTPUT_TOKENS"] = "4096",
        ["LLM_INPUT_USD_PER_MILLION"] = "0.15", ["LLM_OUTPUT_USD_PER_MILLION"] = "0.6", ["LLM_CONTEXT_WINDOW"] = "128000",
        ["OPENAI_API_KEY"] = "sk-gpt", ["ANTHROPIC_API_KEY"] = "sk-ant",
    };

    private static ModelCatalog Build(string routingJson, IReadOnlyDictionary<string, string> env)
    {
        var services = new ServiceCollection();
        services.AddSingleton(RoutingLoader.Parse(routingJson, "test"));
        services.AddLogging();
        var integrations = IntegrationSettings.Load(name => env.GetValueOrDefault(name));
        services.AddModels(integrations.Llm, name => env.GetValueOrDefault(name));
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<ModelClients>().Catalog;
    }

    private static SettingsException Fails(string routingJson, IReadOnlyDictionary<string, string> env) =>
        Assert.ThrowsAny<SettingsException>(() => Build(routingJson, env));

    [Fact]
    public void Routing_models_and_the_LLM_variables_make_one_catalog()
    {
        var catalog = Build(Routing, Env);

        Assert.Equal(["claude", "default", "gpt", "local"], catalog.Models.Select(m => m.Name).Order(StringComparer.Ordinal));
        Assert.True(catalog.TryGet("default", out var fromEnv));
        Assert.Equal((ModelProvider.OpenAI, "https://api.openai.com/v1", "gpt-4o-mini", 4096, 128_000L), (fromEnv.Provider, fromEnv.BaseUrl.AbsoluteUri, fromEnv.ModelId, fromEnv.MaxOutputTokens, fromEnv.ContextWindow));
        Assert.Equal(new ModelPrices(0.15m, 0.6m), fromEnv.Prices);
        Assert.Equal(12_000, fromEnv.MaxInputTokens);
        Assert.Equal("sk-default", catalog.KeyFor("default"));

        Assert.True(catalog.TryGet("claude", out var claude));
        Assert.Equal((ModelProvider.Anthropic, "api.anthropic.com", "ANTHROPIC_API_KEY"), (claude.Provider, claude.BaseUrl.Host, claude.ApiKeyVariable));
        Assert.Null(claude.Prices);
        Assert.Equal("sk-ant", catalog.KeyFor("claude"));
        Assert.Equal("ANTHROPIC_API_KEY (models.claude.apiKeyEnv)", claude.KeySetting);

        Assert.True(catalog.TryGet("local", out var local));
        Assert.Null(catalog.KeyFor("local"));
        Assert.Equal(8192 - 1024, local.MaxInputTokens); // what the window leaves for the prompt, not the 12000 default
        Assert.Equal(TimeSpan.FromMinutes(10), local.Timeout);
        Assert.Equal("models.local.contextWindow", local.Setting("contextWindow"));
    }

    [Fact]
    public void Every_bad_model_setting_is_reported_at_start_naming_it()
    {
        const string bad = """
            {
              "models": {
                "a": { "provider": "gemini", "model": "x" },
                "b": { "baseUrl": "localhost:8000", "apiKeyEnv": "UNSET_KEY" },
                "c": { "provider": "anthropic", "baseUrl": "https://proxy.example.com/v1", "model": "claude", "apiKeyEnv": "ANTHROPIC_API_KEY" },
                "d": { "baseUrl": "http://localhost:8000/v1", "model": "m", "contextWindow": 4096, "maxOutputTokens": 4096, "inputUsdPerMillion": 1 },
                "e": { "baseUrl": "http://localhost:8000/v1", "model": "m", "contextWindow": 0, "maxInputTokens": 50, "timeoutSeconds": 0, "maxRetries": 99 },
                "f": { "model": "gpt-4.1" },
                "bad name": { "model": "m" }
              }
            }
            """;
        var e = Fails(bad, new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "k" });

        foreach (var expected in new[]
                 {
                     "models.a.provider must be \"openai\" (any OpenAI-compatible endpoint) or \"anthropic\" (got 'gemini').",
                     "models.b.model is required",
                     "models.b.baseUrl must be an absolute http(s) URL (got 'localhost:8000').",
                     "models.b.apiKeyEnv names UNSET_KEY, which is not set",
                     "models.c.baseUrl ends in /v1",
                     "models.c.maxOutputTokens is required for provider anthropic",
                     "models.d.maxOutputTokens (4096) must be less than models.d.contextWindow (4096)",
                     "Set both models.d.inputUsdPerMillion and models.d.outputUsdPerMillion, or neither",
                     "models.e.contextWindow must be a whole number from 1 to 100000000 (got 0).",
                     "models.e.maxInputTokens must be a whole number from 100",
                     "models.e.timeoutSeconds must be a number of seconds from 1 to 3600 (got 0).",
                     "models.e.maxRetries must be a whole number from 0 to 10 (got 99).",
                     "models.f.apiKeyEnv is required for api.openai.com",
                     "models.bad name: a model name may have letters, digits",
                 })
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_pasted_into_apiKeyEnv_is_refused_and_never_echoed()
    {
        // The attack on the operator: a secret committed to the routing file would end up in logs.
        const string pasted = "sk-proj-abc123-DO-NOT-SHOW";
        var e = Fails($$"""{ "models": { "gpt": { "model": "gpt-4.1", "apiKeyEnv": "{{pasted}}" } } }""", new Dictionary<string, string>());

        Assert.Contains("models.gpt.apiKeyEnv must be the NAME of an environment variable", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(pasted, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_model_field_is_refused_when_the_routing_file_is_read()
    {
        var e = Assert.Throws<SettingsException>(() => RoutingLoader.Parse("""{ "models": { "gpt": { "model": "m", "contextWindows": 8192 } } }""", "test"));

        Assert.Contains("contextWindows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LLM_MODEL_and_models_default_together_are_refused()
    {
        var e = Fails("""{ "models": { "default": { "baseUrl": "http://localhost:11434/v1", "model": "llama3.1" } } }""", Env);

        Assert.Contains("Both LLM_MODEL and models.default", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_LLM_variables_are_reported_with_the_other_start_up_errors()
    {
        var e = Assert.Throws<SettingsException>(() => IntegrationSettings.Load(name => new Dictionary<string, string>
        {
            ["LLM_PROVIDER"] = "anthropic", ["LLM_MODEL"] = "claude-sonnet-4-5", ["LLM_API_KEY"] = "sk-ant",
            ["LLM_INPUT_USD_PER_MILLION"] = "cheap", ["LLM_CONTEXT_WINDOW"] = "0",
        }.GetValueOrDefault(name)));

        Assert.Contains("LLM_MAX_OUTPUT_TOKENS is required for provider anthropic", e.Message, StringComparison.Ordinal);
        Assert.Contains("LLM_INPUT_USD_PER_MILLION must be a price in USD per million tokens", e.Message, StringComparison.Ordinal);
        Assert.Contains("LLM_CONTEXT_WINDOW must be a whole number from 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Budgets_a_model_cannot_enforce_are_refused_with_what_to_set()
    {
        using var kit = new ModelKit(new Dictionary<string, ModelEntry>
        {
            ["free"] = new() { BaseUrl = "http://localhost:11434/v1", Model = "llama3.1" },
        });
        var model = kit.Clients.Get("free");

        var usd = Assert.Throws<AgentConfigurationException>(() => model.CheckBudget(new BudgetLimits { UsdPerRepositoryPerDay = 5m }, "agents.coder.budget"));
        Assert.Contains("agents.coder.budget sets a USD budget, but model 'free' has no prices", usd.Message, StringComparison.Ordinal);
        Assert.Contains("models.free.inputUsdPerMillion", usd.Message, StringComparison.Ordinal);
        var output = Assert.Throws<AgentConfigurationException>(() => model.ChatFor(ModelKit.Scope(new BudgetLimits { OutputTokens = 10_000 })));
        Assert.Contains("set models.free.maxOutputTokens", output.Message, StringComparison.Ordinal);
        model.CheckBudget(new BudgetLimits { Turns = 30, InputTokens = 100_000 }, "agents.coder.budget"); // these need no price
    }

    [Fact]
    public void Asking_for_a_model_that_is_not_configured_names_the_ones_that_are()
    {
        using var kit = new ModelKit(new Dictionary<string, ModelEntry> { ["local"] = new() { BaseUrl = "http://localhost:11434/v1", Model = "llama3.1" } });

        var e = Assert.Throws<AgentConfigurationException>(() => kit.Clients.Get("default"));

        Assert.Contains("No model named 'default' is configured", e.Message, StringComparison.Ordinal);
        Assert.Contains("or set LLM_MODEL (configured: local)", e.Message, StringComparison.Ordinal);
        Assert.Null(kit.Clients.Default);
    }
}
