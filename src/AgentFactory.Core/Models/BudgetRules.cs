namespace AgentFactory.Models;

/// <summary>The budget checks every ledger makes, on the spending it read inside its atomic step.</summary>
public static class BudgetRules
{
    /// <summary>How long an unsettled reservation counts: long enough for any call with its retries; after that its process is taken for dead.</summary>
    public static readonly TimeSpan ReservationLifetime = TimeSpan.FromHours(2);

    /// <summary>A repository's key in a ledger: GitHub repository names are case-insensitive.</summary>
    public static string RepositoryKey(string repository) => repository.ToLowerInvariant();

    /// <summary>The first ceiling this worst case would pass, in the order a user reads them: turns, tokens, job USD, repository USD.</summary>
    public static void Check(BudgetScope scope, BudgetCharge worstCase, BudgetSpend job, BudgetSpend repoDay, DateOnly day)
    {
        var limits = scope.Limits;
        var what = $"job {scope.JobId}";
        if (limits.Turns is { } turns && job.Turns + 1 > turns)
            throw new BudgetExceededException(BudgetKind.Turns, turns, job.Turns, 1, what);
        if (limits.InputTokens is { } input && job.InputTokens + worstCase.InputTokens > input)
            throw new BudgetExceededException(BudgetKind.InputTokens, input, job.InputTokens, worstCase.InputTokens, what);
        if (limits.OutputTokens is { } output && job.OutputTokens + worstCase.OutputTokens > output)
            throw new BudgetExceededException(BudgetKind.OutputTokens, output, job.OutputTokens, worstCase.OutputTokens, what);
        var usd = worstCase.Usd ?? 0m;
        if (limits.UsdPerJob is { } perJob && job.Usd + usd > perJob)
            throw new BudgetExceededException(BudgetKind.UsdPerJob, perJob, job.Usd, usd, what);
        if (limits.UsdPerRepositoryPerDay is { } perDay && repoDay.Usd + usd > perDay)
            throw new BudgetExceededException(BudgetKind.UsdPerRepositoryPerDay, perDay, repoDay.Usd, usd, $"{scope.Repository} on {day:yyyy-MM-dd} UTC");
    }
}
