using AgentFactory.Hosting;
using AgentFactory.Models.Gateway;
using AgentFactory.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentFactory.Models;

/// <summary>The model layer's registrations.</summary>
public static class ModelServices
{
    /// <summary>
    /// Reads the LLM_* variables and checks the "default" model they describe; problems go to
    /// <paramref name="env"/> with the other start-up errors.
    /// </summary>
    public static LlmSettings LoadLlm(EnvReader env)
    {
        var llm = LlmSettings.Load(env);
        if (llm.Configured)
        {
            var errors = new List<string>();
            ModelCatalog.Check(ModelCatalog.DefaultName, llm.ToEntry(), fromEnvironment: true, llm.ApiKey, errors);
            errors.ForEach(env.Error);
        }
        return llm;
    }

    /// <summary>
    /// Registers the catalog (the LLM_* "default" plus the routing file's "models", checked when first
    /// resolved, i.e. when the orchestrator starts), <see cref="ModelClients"/>, the in-memory
    /// <see cref="IBudgetLedger"/>, <see cref="ModelRetryOptions"/> and the <see cref="ModelGateway"/> for coding CLIs. API keys are read through
    /// <paramref name="env"/> by the variable each model names. Registrations made before this of the
    /// ledger, the retry options or the time provider are kept; tests may replace <see cref="LlmSettings"/> after.
    /// </summary>
    public static IServiceCollection AddModels(this IServiceCollection services, LlmSettings llm, Func<string, string?> env)
    {
        services.AddSingleton(llm);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new ModelRetryOptions());
        services.TryAddSingleton<IBudgetLedger, InMemoryBudgetLedger>();
        services.AddSingleton(sp => ModelCatalog.Build(sp.GetService<RoutingConfig>()?.Models ?? new Dictionary<string, ModelEntry>(), sp.GetRequiredService<LlmSettings>(), key => new EnvReader(env).Get(key)));
        services.AddSingleton<ModelClients>();
        services.AddSingleton(sp => new ModelGateway(sp.GetRequiredService<ModelCatalog>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ModelGateway>>()));
        return services;
    }
}
