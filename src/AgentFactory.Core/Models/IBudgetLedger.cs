namespace AgentFactory.Models;

/// <summary>
/// Where model spending is kept, per job and per repository per UTC day. Every call reserves its
/// worst case first and settles what it used afterwards, so a ceiling fails closed even while
/// calls run in parallel.
/// </summary>
/// <remarks>
/// Contract for every implementation (the in-memory one, the queue database's later):
/// <list type="bullet">
/// <item><see cref="ReserveAsync"/> checks every ceiling of the scope against settled plus reserved
/// spending and records the reservation in one atomic step, across every instance that shares the
/// ledger: two callers can never both take the last dollar. A refusal records nothing.</item>
/// <item>A reservation counts one turn, kept when it is settled whatever the call used.</item>
/// <item><see cref="SettleAsync"/> replaces the reservation's worst case by what was used (zero when the
/// call never reached the model). Settling twice, or an unknown reservation, changes nothing.</item>
/// <item>A charge whose Usd is null (a model without prices) adds nothing to USD totals.</item>
/// </list>
/// </remarks>
public interface IBudgetLedger
{
    /// <summary>Reserves <paramref name="worstCase"/> for one call; throws <see cref="BudgetExceededException"/> naming the first ceiling it would pass.</summary>
    ValueTask<BudgetReservation> ReserveAsync(BudgetScope scope, BudgetCharge worstCase, DateTimeOffset now, CancellationToken ct);

    ValueTask SettleAsync(BudgetReservation reservation, BudgetCharge used, CancellationToken ct);

    /// <summary>The job's spending so far, settled plus reserved.</summary>
    ValueTask<BudgetSpend> JobSpendAsync(long jobId, CancellationToken ct);

    /// <summary>The repository's spending on <paramref name="day"/> (UTC), settled plus reserved.</summary>
    ValueTask<BudgetSpend> RepositorySpendAsync(string repository, DateOnly day, CancellationToken ct);
}
