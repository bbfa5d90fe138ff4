using AgentFactory.Models;

namespace AgentFactory.Tests.Models;

/// <summary>What the in-memory ledger keeps apart and counts, beyond the shared ledger contract.</summary>
public sealed class InMemoryLedgerTotalsTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Day = DateOnly.FromDateTime(Noon.UtcDateTime);

    [Fact]
    public async Task A_repositorys_day_counts_every_reservation_of_every_job_as_a_turn()
    {
        var ledger = new InMemoryBudgetLedger();
        await ledger.ReserveAsync(new BudgetScope(1, "acme/api", BudgetLimits.None), new BudgetCharge(10, 1, 0.1m), Noon, default);
        await ledger.ReserveAsync(new BudgetScope(2, "Acme/API", BudgetLimits.None), new BudgetCharge(20, 2, 0.2m), Noon, default);
        Assert.Equal(new BudgetSpend(2, 30, 3, 0.3m), await ledger.RepositorySpendAsync("acme/api", Day, default));
        Assert.Equal(new BudgetSpend(1, 20, 2, 0.2m), await ledger.JobSpendAsync(2, default));
    }

    [Fact]
    public async Task Other_days_and_other_repositories_are_kept_apart()
    {
        var ledger = new InMemoryBudgetLedger();
        await ledger.ReserveAsync(new BudgetScope(1, "acme/api", BudgetLimits.None), new BudgetCharge(10, 1, 0.1m), Noon, default);
        await ledger.ReserveAsync(new BudgetScope(1, "acme/api", BudgetLimits.None), new BudgetCharge(20, 2, 0.2m), Noon.AddDays(1), default);
        await ledger.ReserveAsync(new BudgetScope(1, "acme/web", BudgetLimits.None), new BudgetCharge(40, 4, 0.4m), Noon, default);
        Assert.Equal(new BudgetSpend(1, 10, 1, 0.1m), await ledger.RepositorySpendAsync("acme/api", Day, default));
        Assert.Equal(new BudgetSpend(1, 20, 2, 0.2m), await ledger.RepositorySpendAsync("acme/api", Day.AddDays(1), default));
        Assert.Equal(new BudgetSpend(1, 40, 4, 0.4m), await ledger.RepositorySpendAsync("acme/web", Day, default));
        Assert.Equal(BudgetSpend.Zero, await ledger.RepositorySpendAsync("acme/none", Day, default));
    }
}
