using System.Text.Json;
using AgentFactory.Agents.Coding.Cli;
using AgentFactory.Agents.Coding.Model;
using AgentFactory.Agents.Tasks;
using AgentFactory.Models;
using AgentFactory.Models.Gateway;
using AgentFactory.Workspace;

namespace AgentFactory.Agents.Coding;

/// <summary>
/// Builds "coder" agents from the routing file, checking every setting at start-up: the runtime, the model (its
/// prices must exist for a USD budget), the CLI, the sandbox. With <c>runtime: "model"</c> and no model configured
/// the agent writes today's plan-only pull request, and its comment says how to turn the coding agent on.
/// </summary>
public sealed class CoderAgentKind(CoderServices services, ModelClients models, ModelGateway gateway, IBudgetLedger ledger, PlanWriter planner,
    IEnumerable<IModelCallObserver> observers, ILoggerFactory logs) : IAgentKind
{
    public const string TurnOn =
        "This is a plan only: the coding agent needs a model. Set LLM_BASE_URL and LLM_MODEL (or define a model under \"models\" in routing.json) " +
        "and restart; the agent will then open a pull request with the change itself (docs/coding-agent.md).";

    public string Kind => "coder";

    public IAgent Create(string name, JsonElement settings)
    {
        var parsed = AgentSettings.Parse<CoderSettings>(name, settings);
        if (parsed.Problem(name) is { } problem) throw new AgentConfigurationException(problem);
        if (string.IsNullOrWhiteSpace(parsed.BranchPrefix) || !GitTarget.IsRefName(parsed.BranchPrefix + "1"))
            throw new AgentConfigurationException($"agents.{name}.branchPrefix must be a branch name prefix such as \"agent-task/issue-\".");
        var explicitModel = settings.ValueKind == JsonValueKind.Object && settings.EnumerateObject().Any(p => p.Name.Equals("model", StringComparison.OrdinalIgnoreCase));

        ICodingRuntime runtime;
        if (parsed.Runtime == "cli")
        {
            var cli = CliSettings.Parse(name, settings, explicitModel || models.TryGet(parsed.Model, out _) ? parsed.Model : null, models.Catalog, parsed.CheckpointEvery);
            runtime = new CliRuntime(cli, gateway, ledger, logs.CreateLogger<CliRuntime>(), [.. observers]);
            if (cli.Model is { } m) models.Get(m).CheckBudget(parsed.Budget, $"agents.{name}.maxUsd");
        }
        else if (models.TryGet(parsed.Model, out var model))
        {
            model.CheckBudget(parsed.Budget, $"agents.{name}.maxUsd");
            runtime = new ModelRuntime(model, new ModelRuntimeSettings(parsed.KeepToolResults), logs.CreateLogger<ModelRuntime>());
        }
        else if (explicitModel)
        {
            models.Get(parsed.Model); // throws, naming the models that are configured
            throw new AgentConfigurationException($"agents.{name}.model '{parsed.Model}' is not configured.");
        }
        else
        {
            var plan = new TaskAgentSettings { Remote = parsed.Remote, BranchPrefix = parsed.BranchPrefix, AuthorName = parsed.AuthorName, AuthorEmail = parsed.AuthorEmail, UseLlm = false };
            return new PlanOnlyCoder(new TaskAgent(name, plan, services.GitHub, services.Sources, planner, services.Worktrees, services.Git, logs.CreateLogger<TaskAgent>(), TurnOn));
        }

        services.Sandbox.Validate(name, parsed);
        return new CoderAgent(name, parsed, runtime, services, logs.CreateLogger<CoderAgent>());
    }
}

/// <summary>The coder with no model: the task agent's plan-only pull request for an issue; a review to follow up or a /fix on a pull request is left alone, saying why.</summary>
public sealed class PlanOnlyCoder(TaskAgent plans) : IAgent
{
    public string Name => plans.Name;

    public Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct) =>
        CoderFollowUp.IsReview(job) ? Task.FromResult(AgentResult.Success("Follow-ups on review need the coding agent, which needs a model. " + CoderAgentKind.TurnOn))
        // Asked for in so many words: the job fails with the reason, so the tracking comment says how to turn the agent on.
        : CoderPullRequestFix.IsPullRequestComment(job) ? throw new PermanentAgentException("/fix on a pull request needs the coding agent, which needs a model: set LLM_BASE_URL and LLM_MODEL " +
            "(or define a model under \"models\" in routing.json) and restart (docs/coding-agent.md).")
        : plans.RunAsync(job, ct);
}
