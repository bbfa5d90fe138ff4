using AgentFactory.Models;
using AgentFactory.Tests.Postgres;

namespace AgentFactory.Tests.Models;

/// <summary>
/// The <see cref="IBudgetLedger"/> contract, held by the in-memory ledger and by the queue database's in both
/// stores (<c>SqliteBudgetLedgerTests</c>, <c>PostgresBudgetLedgerTests</c>). Each test gets a fresh, empty ledger.
/// </summary>
public abstract class BudgetLedgerContract : IAsyncLifetime
{
    protected IBudgetLedger Ledger { get; set; } = null!;

    public abstract Task InitializeAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static BudgetScope Scope(long job, BudgetLimits limits, string repository = "octo/widgets") => new(job, repository, limits);

    [StoreFact]
    public async Task Parallel_callers_can_never_both_take_the_last_dollar()
    {
        var ledger = Ledger;
        var limits = new BudgetLimits { UsdPerRepositoryPerDay = 1m };

        var attempts = Enumerable.Range(1, 50).Select(job => Task.Run(async () =>
        {
            try
            {
                await ledger.ReserveAsync(Scope(job, limits), new BudgetCharge(10, 10, 0.1m), Noon, default);
                return true;
            }
            catch (BudgetExceededException e) when (e.Budget == BudgetKind.UsdPerRepositoryPerDay)
            {
                return false;
            }
        }));
        var granted = (await Task.WhenAll(attempts)).Count(ok => ok);

        Assert.Equal(10, granted);
        Assert.Equal(1m, (await ledger.RepositorySpendAsync("octo/widgets", DateOnly.FromDateTime(Noon.UtcDateTime), default)).Usd);
    }

    [StoreFact]
    public async Task Settling_replaces_the_worst_case_by_what_was_used_once()
    {
        var ledger = Ledger;
        var reservation = await ledger.ReserveAsync(Scope(7, BudgetLimits.None), new BudgetCharge(1_000, 4_000, 0.05m), Noon, default);
        Assert.Equal(new BudgetSpend(1, 1_000, 4_000, 0.05m), await ledger.JobSpendAsync(7, default));

        await ledger.SettleAsync(reservation, new BudgetCharge(900, 120, 0.003m), default);
        await ledger.SettleAsync(reservation, new BudgetCharge(900, 120, 0.003m), default);

        Assert.Equal(new BudgetSpend(1, 900, 120, 0.003m), await ledger.JobSpendAsync(7, default));
    }

    [StoreFact]
    public async Task The_daily_ceiling_is_shared_by_jobs_of_a_repository_in_any_case_and_starts_again_the_next_UTC_day()
    {
        var ledger = Ledger;
        var limits = new BudgetLimits { UsdPerRepositoryPerDay = 1m };
        var first = await ledger.ReserveAsync(Scope(1, limits), new BudgetCharge(0, 0, 0.8m), Noon, default);
        await ledger.SettleAsync(first, new BudgetCharge(0, 0, 0.8m), default);

        var e = await Assert.ThrowsAsync<BudgetExceededException>(() =>
            ledger.ReserveAsync(Scope(2, limits, "Octo/Widgets"), new BudgetCharge(0, 0, 0.3m), Noon.AddHours(11), default).AsTask());
        Assert.Contains("USD per repository per day budget would be exceeded: $0.8 of $1 is spent or reserved and this call may take up to $0.3 more (Octo/Widgets on 2026-11-25 UTC)", e.Message, StringComparison.Ordinal);

        await ledger.ReserveAsync(Scope(2, limits), new BudgetCharge(0, 0, 0.3m), Noon.AddHours(12), default);
    }

    [StoreFact]
    public async Task Each_job_budget_refuses_the_call_that_would_pass_it_and_records_nothing()
    {
        var cases = new (BudgetKind Kind, string Name, BudgetLimits Limits)[]
        {
            (BudgetKind.Turns, "turns per job", new BudgetLimits { Turns = 1 }),
            (BudgetKind.InputTokens, "input tokens per job", new BudgetLimits { InputTokens = 150 }),
            (BudgetKind.OutputTokens, "output tokens per job", new BudgetLimits { OutputTokens = 150 }),
            (BudgetKind.UsdPerJob, "USD per job", new BudgetLimits { UsdPerJob = 0.15m }),
        };
        var job = 30L;
        foreach (var (kind, name, limits) in cases)
        {
            job++;
            await Ledger.ReserveAsync(Scope(job, limits), new BudgetCharge(100, 100, 0.1m), Noon, default);

            var e = await Assert.ThrowsAsync<BudgetExceededException>(() => Ledger.ReserveAsync(Scope(job, limits), new BudgetCharge(100, 100, 0.1m), Noon, default).AsTask());

            Assert.Equal(kind, e.Budget);
            Assert.Contains($"The {name} budget would be exceeded", e.Message, StringComparison.Ordinal);
            Assert.Equal(new BudgetSpend(1, 100, 100, 0.1m), await Ledger.JobSpendAsync(job, default));
        }
    }

    [StoreFact]
    public async Task A_model_without_prices_adds_nothing_to_USD_totals()
    {
        var ledger = Ledger;
        var r = await ledger.ReserveAsync(Scope(4, BudgetLimits.None), new BudgetCharge(10, 10, null), Noon, default);
        await ledger.SettleAsync(r, new BudgetCharge(10, 10, null), default);

        Assert.Equal(new BudgetSpend(1, 10, 10, 0m), await ledger.JobSpendAsync(4, default));
    }
}

public sealed class InMemoryBudgetLedgerTests : BudgetLedgerContract
{
    public override Task InitializeAsync()
    {
        Ledger = new InMemoryBudgetLedger();
        return Task.CompletedTask;
    }
}
