using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using AgentFactory.Tests.Queue;

namespace AgentFactory.Tests.Postgres;

/// <summary>The store contract suite on PostgreSQL, each test on a fresh database of its own.</summary>
public sealed class PostgresStoreContractTests : StoreContractTests, IRequiresPostgres
{
    private TestDatabase? _db;
    private PostgresJobStore? _store;

    protected override async Task<IJobStore> CreateStoreAsync(TimeProvider time, QueueSignal signal)
    {
        _db = await (await PostgresServer.Shared).CreateDatabaseAsync();
        _store = new PostgresJobStore(_db.ConnectionString, time, signal);
        await _store.MigrateAsync(CancellationToken.None);
        return _store;
    }

    protected override async Task DisposeStoreAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
    }
}
