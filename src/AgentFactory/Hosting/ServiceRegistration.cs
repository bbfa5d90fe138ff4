using AgentFactory.Agents;
using AgentFactory.Agents.Command;
using AgentFactory.Agents.Log;
using AgentFactory.Observability;
using AgentFactory.Options;
using AgentFactory.Orchestration;
using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace AgentFactory.Hosting;

/// <summary>The service wiring, shared by every role and by the tests.</summary>
public static class ServiceRegistration
{
    public static IServiceCollection AddAgentFactory(this IServiceCollection services, AgentFactoryOptions options, RoutingConfig routing, Roles roles)
    {
        services.AddSingleton(options);
        services.AddSingleton(routing);
        services.AddSingleton(new Router(routing));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<QueueSignal>();
        services.AddStore(options);
        services.AddAgentFactoryTelemetry(prometheus: roles.HasFlag(Roles.Webhook));

        if (roles.HasFlag(Roles.Orchestrator))
        {
            services.AddAgents(Environment.GetEnvironmentVariable);
            services.AddSingleton(sp => new AgentCatalog(routing, sp.GetServices<IAgentKind>()));
            services.AddSingleton(new OutcomePolicy(options.RetryBaseDelay, options.RetryMaxDelay));
            services.AddSingleton<GitSync>();
            services.AddSingleton<Orchestrator>();
            services.AddHostedService(sp => sp.GetRequiredService<Orchestrator>());
            services.AddHostedService<Maintenance>();
            services.AddSingleton<Redelivery.RedeliverySchedule>();
            services.AddHostedService(sp => sp.GetRequiredService<Redelivery.RedeliverySchedule>());
            if (options.DatabaseUrl is null) services.AddHostedService<SqliteChangeWatcher>();
            else services.AddHostedService<PostgresChangeListener>();
        }
        services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownGrace + TimeSpan.FromSeconds(15));
        return services;
    }

    public static IServiceCollection AddStore(this IServiceCollection services, AgentFactoryOptions options)
    {
        if (options.DatabaseUrl is { } url)
        {
            services.AddSingleton(sp => new PostgresJobStore(url, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<QueueSignal>(), options.DatabaseListen));
            services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<PostgresJobStore>());
            return services;
        }
        services.AddSingleton(sp => new SqliteJobStore(options.SqlitePath, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<QueueSignal>()));
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<SqliteJobStore>());
        return services;
    }

    /// <summary>ORCHESTRATOR_LOG_LEVEL and LOG_FORMAT; framework chatter stays at Warning unless DEBUG.</summary>
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
        return logging;
    }
}
