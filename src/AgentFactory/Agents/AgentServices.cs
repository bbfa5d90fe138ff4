using AgentFactory.Agents.Ask;
using AgentFactory.Agents.Cancel;
using AgentFactory.Agents.CodeReview;
using AgentFactory.Agents.Coding;
using AgentFactory.Agents.Command;
using AgentFactory.Agents.Deploy;
using AgentFactory.Agents.Log;
using AgentFactory.Agents.Tasks;

namespace AgentFactory.Agents;

/// <summary>
/// The built-in agent kinds. What they share (GitHub, the LLM, notification channels, worktrees,
/// processes) is registered by the composition root from the settings loaded at start-up.
/// </summary>
public static class AgentServices
{
    public static IServiceCollection AddAgentKinds(this IServiceCollection services)
    {
        services.AddSingleton<ReviewWriter>();
        services.AddSingleton<PlanWriter>();
        services.AddSingleton<IAgentKind, LogAgentKind>();
        services.AddSingleton<IAgentKind, CancelAgentKind>();
        services.AddSingleton<IAgentKind, CommandAgentKind>();
        services.AddSingleton<IAgentKind, CodeReviewAgentKind>();
        services.AddSingleton<IAgentKind, AskAgentKind>();
        services.AddSingleton<IAgentKind, DeployAgentKind>();
        services.AddSingleton<IAgentKind, TaskAgentKind>();
        services.AddSingleton<CoderServices>();
        services.AddSingleton<IAgentKind, CoderAgentKind>();
        return services;
    }
}
