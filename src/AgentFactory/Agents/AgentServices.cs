using AgentFactory.Agents.CodeReview;
using AgentFactory.Agents.Command;
using AgentFactory.Agents.Deploy;
using AgentFactory.Agents.GitHub;
using AgentFactory.Agents.Log;
using AgentFactory.Agents.Notify;
using AgentFactory.Agents.Tasks;
using AgentFactory.Agents.Workspace;
using AgentFactory.Models;
using AgentFactory.Orchestration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentFactory.Agents;

/// <summary>
/// The agent kinds and what they share: GitHub, the models, notification channels, worktrees. Their
/// settings are read from the environment here, once, so a bad value stops the start with every
/// problem named. Tests replace the settings objects with their own registrations.
/// </summary>
public static class AgentServices
{
    public static IServiceCollection AddAgents(this IServiceCollection services, Func<string, string?> env)
    {
        var reader = new EnvReader(env);
        var github = GitHubSettings.Load(reader);
        var notify = NotifySettings.Load(reader);
        var redelivery = Redelivery.RedeliverySettings.Load(reader, github);
        services.AddModels(reader);
        reader.ThrowIfErrors();
        services.AddSingleton(github);
        services.AddSingleton(notify);
        services.AddSingleton(redelivery);

        services.AddSingleton<GitHubClients>();
        services.AddSingleton<Redelivery.HookDeliveriesApi>();
        services.AddSingleton<Redelivery.Redeliverer>();
        services.AddSingleton<Worktrees>();
        services.AddSingleton(sp => NotifiersFor(sp.GetRequiredService<NotifySettings>()));
        services.AddSingleton(sp => new Notifications(sp.GetRequiredService<IReadOnlyList<INotifier>>(), sp.GetRequiredService<NotifySettings>(), sp.GetRequiredService<ILogger<Notifications>>()));
        services.AddSingleton<IJobNotifier, JobNotifier>();

        services.AddSingleton<ReviewWriter>();
        services.AddSingleton<PlanWriter>();
        services.AddSingleton<IAgentKind, LogAgentKind>();
        services.AddSingleton<IAgentKind, CommandAgentKind>();
        services.AddSingleton<IAgentKind, CodeReviewAgentKind>();
        services.AddSingleton<IAgentKind, DeployAgentKind>();
        services.AddSingleton<IAgentKind, TaskAgentKind>();
        return services;
    }

    private static IReadOnlyList<INotifier> NotifiersFor(NotifySettings settings)
    {
        var http = new HttpClient { Timeout = settings.Timeout + TimeSpan.FromSeconds(5) };
        var list = new List<INotifier>();
        if (settings.TelegramConfigured) list.Add(new TelegramNotifier(settings, http));
        if (settings.SlackConfigured) list.Add(new SlackNotifier(settings, http));
        return list;
    }
}
