using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Queue;

/// <summary>
/// The behaviour every IJobStore must have. Each driver (SQLite, PostgreSQL) derives from this class
/// and supplies a fresh, migrated, empty store per test; time is a FakeTimeProvider.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    protected QueueSignal Signal { get; } = new();

    protected IJobStore Store { get; private set; } = null!;

    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static readonly CancellationToken Ct = CancellationToken.None;

    /// <summary>A new, empty store on its own database, already migrated.</summary>
    protected abstract Task<IJobStore> CreateStoreAsync(TimeProvider time, QueueSignal signal);

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    /// <summary>A second store on the same database, as another instance or process would open it (real time, its own signal).</summary>
    protected abstract Task<OtherStore> CreateOtherStoreAsync();

    /// <summary>This store's change feed (LISTEN/NOTIFY, data_version), waking <paramref name="signal"/>.</summary>
    protected abstract IQueueChanges CreateChangeFeed(QueueSignal signal);

    /// <summary>Another instance's store; disposing closes it.</summary>
    protected sealed class OtherStore(IJobStore store, Func<ValueTask> dispose) : IAsyncDisposable
    {
        public IJobStore Store { get; } = store;
        public ValueTask DisposeAsync() => dispose();
    }

    public async Task InitializeAsync() => Store = await CreateStoreAsync(Time, Signal);

    public Task DisposeAsync() => DisposeStoreAsync();

    private static NewWebhookEvent Event(string delivery, string hook = "1", string type = "push") =>
        new(delivery, hook, type, null, "octo/repo", "{\"ref\":\"refs/heads/main\"}");

    private Task<long> Enqueue(string type = "t", int priority = 0, int maxAttempts = 3, DateTimeOffset? runAt = null) =>
        Store.EnqueueAsync(new NewJob(type, "{\"n\":1}", priority, maxAttempts, runAt), Ct);
}
