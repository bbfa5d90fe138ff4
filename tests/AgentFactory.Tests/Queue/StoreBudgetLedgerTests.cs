using AgentFactory.Models;
using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Models;
using AgentFactory.Tests.Postgres;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Queue;

/// <summary>
/// The ledger in the queue database: the <see cref="BudgetLedgerContract"/>, plus what only a shared,
/// durable ledger can promise — instances share one ceiling, spending survives a restart, and a
/// reservation whose process died stops counting.
/// </summary>
public abstract class DurableBudgetLedgerContract : BudgetLedgerContract
{
    protected static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(Start);

    /// <summary>Another instance's ledger on the same database (its own connections, the same clock).</summary>
    protected abstract IBudgetLedger OtherInstance();

    private static BudgetScope Scope(long job, decimal perDay) => new(job, "octo/widgets", new BudgetLimits { UsdPerRepositoryPerDay = perDay });

    [StoreFact]
    public async Task Two_instances_reserving_at_once_never_both_take_the_last_dollar()
    {
        var other = OtherInstance();
        var calls = Enumerable.Range(1, 40).Select(i => Task.Run(async () =>
        {
            try
            {
                await (i % 2 == 0 ? Ledger : other).ReserveAsync(Scope(i, 1m), new BudgetCharge(1, 1, 0.1m), Start, default);
                return true;
            }
            catch (BudgetExceededException)
            {
                return false;
            }
        }));
        Assert.Equal(10, (await Task.WhenAll(calls)).Count(granted => granted));
        Assert.Equal(1m, (await other.RepositorySpendAsync("OCTO/widgets", DateOnly.FromDateTime(Start.UtcDateTime), default)).Usd);
    }

    [StoreFact]
    public async Task Spending_is_kept_in_the_database_for_the_next_instance()
    {
        var reservation = await Ledger.ReserveAsync(Scope(5, 10m), new BudgetCharge(100, 200, 0.5m), Start, default);
        await Ledger.SettleAsync(reservation, new BudgetCharge(90, 20, 0.02m), default);
        Assert.Equal(new BudgetSpend(1, 90, 20, 0.02m), await OtherInstance().JobSpendAsync(5, default));
    }

    [StoreFact]
    public async Task A_reservation_never_settled_stops_counting_once_its_lifetime_is_over()
    {
        await Ledger.ReserveAsync(Scope(6, 1m), new BudgetCharge(0, 0, 0.9m), Start, default); // its process dies here
        await Assert.ThrowsAsync<BudgetExceededException>(() => Ledger.ReserveAsync(Scope(7, 1m), new BudgetCharge(0, 0, 0.2m), Start, default).AsTask());

        Time.Advance(BudgetRules.ReservationLifetime + TimeSpan.FromMinutes(1));
        var later = Start + BudgetRules.ReservationLifetime + TimeSpan.FromMinutes(1);
        await Ledger.ReserveAsync(Scope(7, 1m), new BudgetCharge(0, 0, 0.2m), later, default);
        Assert.Equal(0.2m, (await Ledger.RepositorySpendAsync("octo/widgets", DateOnly.FromDateTime(later.UtcDateTime), default)).Usd);
    }
}

public sealed class SqliteBudgetLedgerTests : DurableBudgetLedgerContract, IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<SqliteJobStore> _stores = [];

    public override async Task InitializeAsync()
    {
        var store = Open(Time);
        await store.MigrateAsync(default);
        Ledger = store;
    }

    protected override IBudgetLedger OtherInstance() => Open(Time);

    private SqliteJobStore Open(TimeProvider time)
    {
        var store = new SqliteJobStore(_dir.File("queue.db"), time, new QueueSignal());
        _stores.Add(store);
        return store;
    }

    public void Dispose()
    {
        _stores.ForEach(s => s.Dispose());
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

public sealed class PostgresBudgetLedgerTests : DurableBudgetLedgerContract, IRequiresPostgres
{
    private TestDatabase? _db;
    private readonly List<PostgresJobStore> _stores = [];

    public override async Task InitializeAsync()
    {
        _db = await (await PostgresServer.Shared).CreateDatabaseAsync();
        var store = Open(Time);
        await store.MigrateAsync(default);
        Ledger = store;
    }

    protected override IBudgetLedger OtherInstance() => Open(Time);

    private PostgresJobStore Open(TimeProvider time)
    {
        var store = new PostgresJobStore(_db!.ConnectionString, time, new QueueSignal());
        _stores.Add(store);
        return store;
    }

    public override async Task DisposeAsync()
    {
        foreach (var s in _stores) await s.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
    }
}
