using System.Globalization;

namespace AgentFactory.Models;

/// <summary>
/// <see cref="IBudgetLedger"/> in this process's memory: one lock makes check-and-reserve atomic.
/// Spending is lost on restart and not shared between instances; the queue database's ledger
/// replaces it where that matters.
/// </summary>
public sealed class InMemoryBudgetLedger : IBudgetLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Totals> _jobs = [];
    private readonly Dictionary<(string Repository, DateOnly Day), Totals> _days = new(new RepositoryDayComparer());
    private readonly Dictionary<string, BudgetReservation> _open = new(StringComparer.Ordinal);
    private long _next;

    public ValueTask<BudgetReservation> ReserveAsync(BudgetScope scope, BudgetCharge worstCase, DateTimeOffset now, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        lock (_lock)
        {
            var job = Get(_jobs, scope.JobId);
            var repoDay = Get(_days, (scope.Repository, day));
            BudgetRules.Check(scope, worstCase, job.ToSpend(), repoDay.ToSpend(), day);
            // Stryker disable once Update : counting down gives ids as unique as counting up.
            var reservation = new BudgetReservation((++_next).ToString(CultureInfo.InvariantCulture), scope, day, worstCase);
            job.Turns++;
            job.Add(worstCase, +1);
            repoDay.Turns++;
            repoDay.Add(worstCase, +1);
            _open[reservation.Id] = reservation;
            return ValueTask.FromResult(reservation);
        }
    }

    public ValueTask SettleAsync(BudgetReservation reservation, BudgetCharge used, CancellationToken ct)
    {
        lock (_lock)
        {
            if (!_open.Remove(reservation.Id)) return ValueTask.CompletedTask;
            foreach (var totals in new[] { Get(_jobs, reservation.Scope.JobId), Get(_days, (reservation.Scope.Repository, reservation.Day)) })
            {
                totals.Add(reservation.Charge, -1);
                totals.Add(used, +1);
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<BudgetSpend> JobSpendAsync(long jobId, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult(_jobs.TryGetValue(jobId, out var t) ? t.ToSpend() : BudgetSpend.Zero);
    }

    public ValueTask<BudgetSpend> RepositorySpendAsync(string repository, DateOnly day, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult(_days.TryGetValue((repository, day), out var t) ? t.ToSpend() : BudgetSpend.Zero);
    }

    private static Totals Get<TKey>(Dictionary<TKey, Totals> map, TKey key) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var totals)) map[key] = totals = new Totals();
        return totals;
    }

    private sealed class Totals
    {
        public int Turns;
        public long InputTokens;
        public long OutputTokens;
        public decimal Usd;

        public void Add(BudgetCharge charge, int sign)
        {
            InputTokens += sign * charge.InputTokens;
            OutputTokens += sign * charge.OutputTokens;
            Usd += sign * (charge.Usd ?? 0m);
        }

        public BudgetSpend ToSpend() => new(Turns, InputTokens, OutputTokens, Usd);
    }

    /// <summary>GitHub repository names are case-insensitive.</summary>
    private sealed class RepositoryDayComparer : IEqualityComparer<(string Repository, DateOnly Day)>
    {
        public bool Equals((string Repository, DateOnly Day) x, (string Repository, DateOnly Day) y) =>
            x.Day == y.Day && string.Equals(x.Repository, y.Repository, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((string Repository, DateOnly Day) obj) =>
            HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Repository), obj.Day);
    }
}
