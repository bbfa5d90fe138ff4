using AgentFactory.Models;

namespace AgentFactory.Agents.CodeReview;

/// <summary>Settings of a "code_review" agent in the routing file.</summary>
public sealed class CodeReviewSettings
{
    /// <summary>Ask the LLM for the review when one is configured (LLM_MODEL); the automated checks are always added.</summary>
    public bool UseLlm { get; set; } = true;

    /// <summary>Check out the commit in a worktree to measure the changed files' sizes.</summary>
    public bool Checkout { get; set; }

    public int LargeFileChangeLines { get; set; } = 500;
    public int LargeDiffLines { get; set; } = 2000;
    public long LargeFileBytes { get; set; } = 1_000_000;

    /// <summary>"info" (everything, the default), "warning" or "error": findings below it are not posted.</summary>
    public string MinSeverity { get; set; } = "info";

    /// <summary>
    /// Where the review's state shows on the head commit: "auto" (a check run with a GitHub App, else a commit
    /// status), "check", "status" or "none".
    /// </summary>
    public string Report { get; set; } = "auto";

    /// <summary>The catalog model to review with (docs/models.md); "default" is LLM_MODEL's.</summary>
    public string Model { get; set; } = ModelCatalog.DefaultName;

    // Budgets per job, as for the coding agent; the day's ceiling per repository is shared by every job and instance.
    public long? MaxInputTokens { get; set; }
    public long? MaxOutputTokens { get; set; }
    public decimal? MaxUsd { get; set; }
    public decimal? MaxUsdPerRepositoryPerDay { get; set; }

    internal BudgetLimits Budget => new()
    {
        InputTokens = MaxInputTokens,
        OutputTokens = MaxOutputTokens,
        UsdPerJob = MaxUsd,
        UsdPerRepositoryPerDay = MaxUsdPerRepositoryPerDay,
    };

    internal ReviewLimits Limits => new(LargeFileChangeLines, LargeDiffLines, LargeFileBytes);

    internal ReviewSeverity Threshold => ReviewSeverities.Parse(MinSeverity) is { } s && MinSeverity.Trim().ToLowerInvariant() is "info" or "warning" or "error" ? s : ReviewSeverity.Info;

    /// <summary>What is wrong with the settings, in the routing file's terms, or null.</summary>
    internal string? Problem(string agent)
    {
        if (LargeFileChangeLines < 1 || LargeDiffLines < 1 || LargeFileBytes < 1)
            return $"agents.{agent}: largeFileChangeLines, largeDiffLines and largeFileBytes must be positive.";
        if (MinSeverity?.Trim().ToLowerInvariant() is not ("info" or "warning" or "error"))
            return $"agents.{agent}.minSeverity is \"{MinSeverity}\"; use {ReviewSeverities.Accepted} (findings below it are not posted).";
        if (MaxInputTokens is < 1 || MaxOutputTokens is < 1)
            return $"agents.{agent}: maxInputTokens and maxOutputTokens must be at least 1, or absent for no ceiling.";
        if (MaxUsd is <= 0 || MaxUsdPerRepositoryPerDay is <= 0)
            return $"agents.{agent}: maxUsd and maxUsdPerRepositoryPerDay must be more than 0, or absent for no ceiling.";
        if (Report?.Trim().ToLowerInvariant() is not ("auto" or "check" or "status" or "none"))
            return $"agents.{agent}.report is \"{Report}\"; use \"auto\", \"check\" (a check run; needs a GitHub App), \"status\" (a commit status) or \"none\".";
        return null;
    }
}
