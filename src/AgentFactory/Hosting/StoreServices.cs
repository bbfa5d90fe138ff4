using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using AgentFactory.Queue.Sqlite;

namespace AgentFactory.Hosting;

/// <summary>
/// The queue store, registered once under every caller's interface. <see cref="AddStore"/> is the one
/// place that chooses the driver: PostgreSQL when DATABASE_URL is set, else the embedded SQLite file.
/// </summary>
public static class StoreServices
{
    public static IServiceCollection AddStore(this IServiceCollection services, AgentFactoryOptions options) =>
        options.DatabaseUrl is { } url
            ? services.AddPostgresStore(url, options.DatabaseListen)
            : services.AddSqliteStore(options.SqlitePath);

    public static StoreInfo Describe(AgentFactoryOptions options) => options.DatabaseUrl is { } url
        ? new StoreInfo("postgresql", PostgresConnectionString.Describe(PostgresConnectionString.Parse(url)))
        : new StoreInfo("sqlite", options.SqlitePath);

    public static IServiceCollection AddSqliteStore(this IServiceCollection services, string path)
    {
        services.AddSingleton(new StoreInfo("sqlite", path));
        services.AddSingleton(sp => new SqliteJobStore(path, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<QueueSignal>()));
        services.AddSingleton<IQueueChanges>(sp => new SqliteChangeWatcher(sp.GetRequiredService<SqliteJobStore>(), sp.GetRequiredService<QueueSignal>(), sp.GetRequiredService<TimeProvider>()));
        return services.AddStoreInterfaces<SqliteJobStore>();
    }

    /// <param name="listen">DATABASE_LISTEN: wake on LISTEN/NOTIFY (false behind a pooler the port does not reveal).</param>
    public static IServiceCollection AddPostgresStore(this IServiceCollection services, string url, bool listen = true)
    {
        services.AddSingleton(new StoreInfo("postgresql", PostgresConnectionString.Describe(PostgresConnectionString.Parse(url))));
        services.AddSingleton(sp => new PostgresJobStore(url, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<QueueSignal>(), listen));
        services.AddSingleton<IQueueChanges>(sp => new PostgresChangeListener(sp.GetRequiredService<PostgresJobStore>(), sp.GetRequiredService<QueueSignal>(),
            sp.GetService<AgentFactoryOptions>() ?? new AgentFactoryOptions { DatabaseUrl = url, DatabaseListen = listen }, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PostgresChangeListener>>()));
        return services.AddStoreInterfaces<PostgresJobStore>();
    }

    /// <summary>Every caller's interface resolves through IJobStore, so a test that replaces it replaces them all.</summary>
    private static IServiceCollection AddStoreInterfaces<TStore>(this IServiceCollection services) where TStore : class, IJobStore
    {
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<TStore>());
        services.AddSingleton<IDeliveryStore>(sp => sp.GetRequiredService<IJobStore>());
        services.AddSingleton<IWorkerStore>(sp => sp.GetRequiredService<IJobStore>());
        services.AddSingleton<IMaintenanceStore>(sp => sp.GetRequiredService<IJobStore>());
        services.AddSingleton<IOperatorViews>(sp => sp.GetRequiredService<IJobStore>());
        services.AddSingleton<IStepStore>(sp => sp.GetRequiredService<IJobStore>());
        services.AddSingleton<ITriggerRefusalStore>(sp => sp.GetRequiredService<IJobStore>());
        // The durable ledger, shared by every instance: registered before the model layer's in-memory fallback.
        services.AddSingleton<Models.IBudgetLedger>(sp => sp.GetRequiredService<IJobStore>());
        return services;
    }
}
