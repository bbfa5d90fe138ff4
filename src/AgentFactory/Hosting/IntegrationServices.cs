using AgentFactory.GitHub;
using AgentFactory.Models;
using AgentFactory.Models.Gateway;
using AgentFactory.Notify;
using AgentFactory.Observability;
using AgentFactory.Orchestration;
using AgentFactory.Redelivery;
using AgentFactory.Sandbox;
using AgentFactory.Workspace;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentFactory.Hosting;

/// <summary>What agents and redelivery share: processes, git and worktrees, GitHub, the LLM, notifications.</summary>
public static class IntegrationServices
{
    public static IServiceCollection AddIntegrations(this IServiceCollection services, IntegrationSettings settings, HostEnvironment environment)
    {
        services.AddProcesses(environment);
        services.AddSingleton(settings.GitHub);
        services.AddSingleton(settings.Notify);
        services.AddSingleton(settings.Redelivery);

        services.AddSingleton<GitHubClients>();
        services.AddSingleton<HookDeliveriesApi>();
        services.AddSingleton<Redeliverer>();
        services.AddModels(settings.Llm, environment.Reader);
        services.AddSingleton<RepositorySources>();
        services.AddSingleton<Mirrors>();
        services.AddSingleton<Worktrees>();
        services.AddSingleton(sp => NotifiersFor(sp.GetRequiredService<NotifySettings>()));
        services.TryAddSingleton(_ => new SecretRedactor(SecretRedactor.Integrations(settings))); // AddCore registers the full one
        services.AddSingleton(sp => new Notifications(sp.GetRequiredService<IReadOnlyList<INotifier>>(), sp.GetRequiredService<NotifySettings>(),
            sp.GetRequiredService<ILogger<Notifications>>(), sp.GetRequiredService<SecretRedactor>()));
        services.AddSingleton<IJobNotifier, JobNotifier>();
        return services;
    }

    /// <summary>The one place processes start: agents' (to be confined) and the service's own git and host commands.</summary>
    public static IServiceCollection AddProcesses(this IServiceCollection services, HostEnvironment environment)
    {
        services.AddSingleton(environment);
        services.AddSingleton<ProcessEnvironment>();
        services.AddSingleton<IHostProcesses>(sp => new HostProcesses(sp.GetRequiredService<TimeProvider>()));
        // The model gateway's reserved name is routed to it (a job reaches it only when its allowlist lists it).
        services.AddSingleton(sp => new EgressProxy(sp.GetRequiredService<ILogger<EgressProxy>>(),
            new EgressProxyOptions { Routes = sp.GetService<ModelGateway>()?.Routes ?? new Dictionary<HostPort, System.Net.EndPoint>() }));
        services.AddSingleton<IAgentProcesses>(sp => new BubblewrapProcesses(sp.GetRequiredService<EgressProxy>(), SandboxOptions.Default, sp.GetRequiredService<TimeProvider>()));
        // Checked once, when the first agent is created: whether bubblewrap, user namespaces and socat work here.
        services.AddSingleton(_ => SandboxAvailability.CheckAsync().GetAwaiter().GetResult());
        services.AddSingleton<JobSandbox>();
        services.AddSingleton<Git>();
        return services;
    }

    private static IReadOnlyList<INotifier> NotifiersFor(NotifySettings settings)
    {
#pragma warning disable CA2000 // shared by the notifiers for the life of the process
        var http = new HttpClient { Timeout = settings.Timeout + TimeSpan.FromSeconds(5) };
#pragma warning restore CA2000
        var list = new List<INotifier>();
        if (settings.TelegramConfigured) list.Add(new TelegramNotifier(settings, http));
        if (settings.SlackConfigured) list.Add(new SlackNotifier(settings, http));
        return list;
    }
}
