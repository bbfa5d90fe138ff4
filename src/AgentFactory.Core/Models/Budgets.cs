using System.Globalization;

namespace AgentFactory.Models;

/// <summary>
/// The ceilings one job's model calls run under. Null means no ceiling. The per-repository daily
/// ceiling is shared by every job and instance that spends on the same repository that UTC day.
/// </summary>
public sealed record BudgetLimits
{
    public static BudgetLimits None { get; } = new();

    /// <summary>Model calls per job.</summary>
    public int? Turns { get; init; }

    public long? InputTokens { get; init; }
    public long? OutputTokens { get; init; }
    public decimal? UsdPerJob { get; init; }
    public decimal? UsdPerRepositoryPerDay { get; init; }
}

/// <summary>Whose money a call spends: the job, its repository, and the ceilings that apply.</summary>
public sealed record BudgetScope(long JobId, string Repository, BudgetLimits Limits);

/// <summary>Tokens and cost of one call: its worst case when reserved, what it used when settled. Usd is null when the cost is unknown.</summary>
public sealed record BudgetCharge(long InputTokens, long OutputTokens, decimal? Usd);

/// <summary>A reserved worst case, to be settled with what the call used. <see cref="Id"/> is unique per ledger.</summary>
public sealed record BudgetReservation(string Id, BudgetScope Scope, DateOnly Day, BudgetCharge Charge);

/// <summary>What a job (or a repository's day) has spent, settled plus still reserved.</summary>
public sealed record BudgetSpend(int Turns, long InputTokens, long OutputTokens, decimal Usd)
{
    public static BudgetSpend Zero { get; } = new(0, 0, 0, 0m);
}

/// <summary>The budget a call was refused by.</summary>
public enum BudgetKind
{
    Turns,
    InputTokens,
    OutputTokens,
    UsdPerJob,
    UsdPerRepositoryPerDay,

    /// <summary>The model's own context window (its catalog entry), not a spending budget.</summary>
    ContextWindow,

    /// <summary>The job's wall-clock budget (a coding agent's maxMinutes); checked by the agent, not the ledger.</summary>
    WallClock,
}

/// <summary>
/// A model call was refused before it was sent because it could take a budget past its ceiling.
/// Fails closed: nothing was sent and nothing was spent. The message names the budget, what is
/// spent or reserved, and the call's worst case.
/// </summary>
public sealed class BudgetExceededException : Exception
{
    public BudgetExceededException() { }
    public BudgetExceededException(string message) : base(message) { }
    public BudgetExceededException(string message, Exception inner) : base(message, inner) { }

    public BudgetExceededException(BudgetKind budget, decimal limit, decimal used, decimal request, string detail)
        : base(Describe(budget, limit, used, request, detail))
    {
        Budget = budget;
        Limit = limit;
        Used = used;
        Request = request;
    }

    public BudgetKind Budget { get; }

    /// <summary>The ceiling (tokens, turns or USD).</summary>
    public decimal Limit { get; }

    /// <summary>Spent plus reserved before this call.</summary>
    public decimal Used { get; }

    /// <summary>This call's worst case.</summary>
    public decimal Request { get; }

    /// <summary>The budget's name in messages, e.g. "USD per repository per day".</summary>
    public static string NameOf(BudgetKind budget) => budget switch
    {
        BudgetKind.Turns => "turns per job",
        BudgetKind.InputTokens => "input tokens per job",
        BudgetKind.OutputTokens => "output tokens per job",
        BudgetKind.UsdPerJob => "USD per job",
        BudgetKind.UsdPerRepositoryPerDay => "USD per repository per day",
        BudgetKind.WallClock => "wall clock per job",
        _ => "context window",
    };

    private static string Describe(BudgetKind budget, decimal limit, decimal used, decimal request, string detail)
    {
        static string Amount(BudgetKind b, decimal v) => b is BudgetKind.UsdPerJob or BudgetKind.UsdPerRepositoryPerDay
            ? "$" + v.ToString("0.####", CultureInfo.InvariantCulture)
            : v.ToString("0", CultureInfo.InvariantCulture);
        return budget == BudgetKind.ContextWindow
            ? $"The call would not fit the model's context window of {Amount(budget, limit)} tokens: {detail}."
            : $"The {NameOf(budget)} budget would be exceeded: {Amount(budget, used)} of {Amount(budget, limit)} is spent or reserved and this call may take up to {Amount(budget, request)} more ({detail}).";
    }
}
