using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using AgentFactory.Tests.Queue;
using Microsoft.Extensions.Logging.Abstractions;

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

    protected override Task<OtherStore> CreateOtherStoreAsync()
    {
        var other = new PostgresJobStore(_db!.ConnectionString, TimeProvider.System, new QueueSignal());
        return Task.FromResult(new OtherStore(other, other.DisposeAsync));
    }

    protected override IQueueChanges CreateChangeFeed(QueueSignal signal) =>
        new PostgresChangeListener(_store!, signal, new AgentFactoryOptions { DatabaseUrl = _db!.ConnectionString }, TimeProvider.System, NullLogger<PostgresChangeListener>.Instance);

    protected override async Task DisposeStoreAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
    }
}
