using System.Text.Json;
using AgentFactory.GitHub;
using AgentFactory.Models;

namespace AgentFactory.Agents.Ask;

/// <summary>
/// Builds "ask" agents, checking their settings at start-up: a model named explicitly must be configured and able to
/// enforce the budget. The "default" model may be absent: the agent then answers each /ask with how to configure one.
/// </summary>
public sealed class AskAgentKind(GitHubClients github, ModelClients models, ILogger<AskAgent> log) : IAgentKind
{
    public string Kind => "ask";

    public IAgent Create(string name, JsonElement settings)
    {
        var parsed = AgentSettings.Parse<AskSettings>(name, settings);
        if (parsed.Problem(name) is { } problem) throw new AgentConfigurationException(problem);
        ModelClient? model = null;
        if (models.TryGet(parsed.Model, out var found)) model = found;
        else if (parsed.Model != ModelCatalog.DefaultName) models.Get(parsed.Model); // throws, naming the models that are configured
        model?.CheckBudget(parsed.Budget, $"agents.{name}.maxUsd");
        return new AskAgent(name, parsed, github, model, log);
    }
}
