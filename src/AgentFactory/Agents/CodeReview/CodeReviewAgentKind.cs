using System.Text.Json;
using AgentFactory.GitHub;
using AgentFactory.Models;
using AgentFactory.Workspace;

namespace AgentFactory.Agents.CodeReview;

public sealed class CodeReviewAgentKind(GitHubClients github, RepositorySources sources, ReviewWriter writer, Worktrees worktrees, ModelClients models,
    ILogger<CodeReviewAgent> log) : IAgentKind
{
    public string Kind => "code_review";

    public IAgent Create(string name, JsonElement settings)
    {
        var parsed = AgentSettings.Parse<CodeReviewSettings>(name, settings);
        if (parsed.Problem(name) is { } problem) throw new AgentConfigurationException(problem);
        // A named model must be configured (the message names those that are); a USD budget needs its prices.
        if (models.TryGet(parsed.Model, out var model)) model.CheckBudget(parsed.Budget, $"agents.{name}.maxUsd");
        else if (parsed.Model != ModelCatalog.DefaultName) models.Get(parsed.Model);
        return new CodeReviewAgent(name, parsed, github, sources, writer, worktrees, log);
    }
}
