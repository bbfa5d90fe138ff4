using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Queue;

public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly TempDir _dir = new();
    private SqliteJobStore? _store;

    protected override async Task<IJobStore> CreateStoreAsync(TimeProvider time, QueueSignal signal)
    {
        _store = new SqliteJobStore(_dir.File("queue.db"), time, signal);
        await _store.MigrateAsync(CancellationToken.None);
        return _store;
    }

    protected override Task DisposeStoreAsync()
    {
        _store?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
