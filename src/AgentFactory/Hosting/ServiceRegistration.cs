using AgentFactory.Agents;
using AgentFactory.Ingest;
using AgentFactory.Observability;
using AgentFactory.Options;
using AgentFactory.Orchestration;
using AgentFactory.Queue;
using AgentFactory.Redelivery;
using AgentFactory.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;

namespace AgentFactory.Hosting;

/// <summary>The composition root's parts: each role adds what it runs, from settings loaded once.</summary>
public static class ServiceRegistration
{
    /// <summary>Everything a process of these roles runs.</summary>
    public static IServiceCollection AddAgentFactory(this IServiceCollection services, ServiceSettings settings, Roles roles)
    {
        services.AddCore(settings);
        services.AddStore(settings.Options);
        services.AddAgentFactoryTelemetry(prometheus: roles.HasFlag(Roles.Webhook), otlp: settings.Environment.Get("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 });
        if (roles.HasFlag(Roles.Webhook)) services.AddIngest(settings);
        if (roles.HasFlag(Roles.Orchestrator)) services.AddOrchestrator(settings);
        services.Configure<HostOptions>(h => h.ShutdownTimeout = settings.Options.ShutdownGrace + TimeSpan.FromSeconds(15));
        return services;
    }

    /// <summary>What every role shares: the settings, routing, the clock and the wake-up signal.</summary>
    public static IServiceCollection AddCore(this IServiceCollection services, ServiceSettings settings)
    {
        services.AddSingleton(settings);
        services.AddSingleton(settings.Options);
        services.AddSingleton(settings.Routing);
        services.AddSingleton(new Router(settings.Routing));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<QueueSignal>();
        services.AddSingleton(SecretRedactor.For(settings));
        return services;
    }

    /// <summary>The webhook role: group commit of deliveries, the memory budget of request bodies and the failed-request throttles.</summary>
    public static IServiceCollection AddIngest(this IServiceCollection services, ServiceSettings settings)
    {
        // The service's own logins (GITHUB_SERVICE_LOGIN), which ingest refuses as senders; the orchestrator registers the same settings.
        services.TryAddSingleton(settings.Integrations.GitHub);
        services.AddSingleton<FailedRequestLimiter>();
        services.AddKeyedSingleton(FailedRequestLimiter.Manual, (_, _) => new FailedRequestLimiter(FailedRequestLimiter.ManualFailuresPerMinute));
        services.AddSingleton<BodyBudget>();
        services.AddSingleton<DeliveryBatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryBatcher>());
        return services;
    }

    /// <summary>The orchestrator role: agents and what they share, the claim loop, its chores and the change feed.</summary>
    public static IServiceCollection AddOrchestrator(this IServiceCollection services, ServiceSettings settings)
    {
        var options = settings.Options;
        services.AddIntegrations(settings.Integrations, settings.Environment);
        services.AddAgentKinds();
        services.AddSingleton(sp => new AgentCatalog(settings.Routing, sp.GetServices<IAgentKind>()));
        services.AddSingleton(new OutcomePolicy(options.RetryBaseDelay, options.RetryMaxDelay));
        services.AddSingleton<GitSync>();
        services.AddSingleton<Agents.Trust.CollaboratorPermissions>();
        services.AddSingleton<Agents.Trust.TrustGate>();
        services.AddSingleton(sp => new Agents.Trust.AgentInstructions(sp.GetRequiredService<Workspace.Mirrors>(), sp.GetRequiredService<Workspace.Git>()));
        services.TryAddSingleton(Orchestration.Tracking.TrackingProgressSettings.Default);
        services.AddSingleton<Orchestration.Tracking.TrackingProgress>();
        services.AddSingleton<Orchestration.Tracking.IJobLifecycle, Orchestration.Tracking.TrackingComments>();
        services.AddSingleton<JobExecutor>();
        services.AddSingleton<JobCompleter>();
        services.AddSingleton<Orchestrator>();
        services.AddHostedService<Workspace.WorkspaceStartup>(); // before the claim loop: private directories, stale worktrees
        services.AddHostedService(sp => sp.GetRequiredService<Orchestrator>());
        services.AddHostedService<Maintenance>();
        services.AddSingleton<RedeliverySchedule>();
        services.AddHostedService(sp => sp.GetRequiredService<RedeliverySchedule>());
        services.AddHostedService<QueueChangesService>();
        return services;
    }

    /// <summary>ORCHESTRATOR_LOG_LEVEL and LOG_FORMAT; framework chatter stays at Warning unless DEBUG; see <see cref="ConsoleLog"/>.</summary>
    public static ILoggingBuilder AddAgentFactoryLogging(this ILoggingBuilder logging, AgentFactoryOptions options)
    {
        var level = options.LogLevel switch
        {
            "TRACE" => LogLevel.Trace,
            "DEBUG" => LogLevel.Debug,
            "WARNING" => LogLevel.Warning,
            "ERROR" => LogLevel.Error,
            "CRITICAL" => LogLevel.Critical,
            _ => LogLevel.Information,
        };
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        logging.AddFilter("Microsoft", level <= LogLevel.Debug ? level : LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", level);
        logging.AddFilter("System.Net.Http", LogLevel.Warning);
        if (options.LogFormat == "json")
            logging.AddJsonConsole(o => { o.TimestampFormat = "O"; o.UseUtcTimestamp = true; });
        else
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; o.ColorBehavior = LoggerColorBehavior.Disabled; });
        // Secrets redacted from every line; the command reports a failed start itself (DEBUG keeps the host's report).
        logging.RedactedConsole(keepStartFailure: level <= LogLevel.Debug);
        return logging;
    }
}
