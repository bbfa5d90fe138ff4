using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Queue;

public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly TempDir _dir = new();
    private SqliteJobStore? _store;

    private string Path => _dir.File("queue.db");

    protected override async Task<IJobStore> CreateStoreAsync(TimeProvider time, QueueSignal signal)
    {
        _store = new SqliteJobStore(Path, time, signal);
        await _store.MigrateAsync(CancellationToken.None);
        return _store;
    }

    protected override Task<OtherStore> CreateOtherStoreAsync()
    {
        var other = new SqliteJobStore(Path, TimeProvider.System, new QueueSignal());
        return Task.FromResult(new OtherStore(other, () => { other.Dispose(); return ValueTask.CompletedTask; }));
    }

    protected override IQueueChanges CreateChangeFeed(QueueSignal signal) => new SqliteChangeWatcher(_store!, signal, TimeProvider.System);

    protected override Task DisposeStoreAsync()
    {
        _store?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
