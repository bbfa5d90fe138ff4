using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Support;
using Microsoft.Data.Sqlite;

namespace AgentFactory.Tests.Queue;

/// <summary>SQLite-only behaviour beside the shared contract suite.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Fact]
    public async Task Completions_that_arrive_while_the_database_is_busy_share_one_transaction()
    {
        using var store = new SqliteJobStore(_dir.File("queue.db"), TimeProvider.System, new QueueSignal());
        await store.MigrateAsync(Ct);
        for (var i = 0; i < 100; i++) await store.EnqueueAsync(new NewJob("t", "{}"), Ct);
        var jobs = await store.ClaimAsync("w", 100, TimeSpan.FromMinutes(5), Ct);

        // Another process (here: another connection) holds the write lock, as during a long ingest batch.
        await using var other = new SqliteConnection($"Data Source={_dir.File("queue.db")}");
        await other.OpenAsync(Ct);
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync(Ct);
        }
        var before = store.CompletionBatches;
        var called = 0;
        var allCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var completions = jobs.Select(j => Task.Run(async () =>
        {
            var completion = store.CompleteAsync(j.Lease, "ok", Ct); // queued (or taken) once this returns
            if (Interlocked.Increment(ref called) == jobs.Count) allCalled.SetResult();
            return await completion;
        })).ToList();
        await allCalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await using (var commit = other.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            await commit.ExecuteNonQueryAsync(Ct);
        }

        Assert.All(await Task.WhenAll(completions), Assert.True);
        var transactions = store.CompletionBatches - before;
        // The first transaction took what had arrived when it began, then waited for the lock; everything
        // that came meanwhile went into the next one.
        Assert.True(transactions <= 2, $"{transactions} transactions for {jobs.Count} completions");
    }
}
