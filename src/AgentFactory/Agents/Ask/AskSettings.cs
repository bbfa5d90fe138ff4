using AgentFactory.Models;

namespace AgentFactory.Agents.Ask;

/// <summary>Settings of an "ask" agent in the routing file.</summary>
public sealed class AskSettings
{
    /// <summary>The model that answers: a name under "models", or "default" (LLM_MODEL).</summary>
    public string Model { get; set; } = ModelCatalog.DefaultName;

    /// <summary>Whether the prompt also holds the changed files as they are at the pull request's head (not only the diff).</summary>
    public bool Files { get; set; } = true;

    /// <summary>The most of one changed file shown; a longer one is cut, with a word saying so.</summary>
    public int MaxFileChars { get; set; } = 12_000;

    public decimal? MaxUsd { get; set; }
    public decimal? MaxUsdPerRepositoryPerDay { get; set; }

    public BudgetLimits Budget => new() { Turns = 1, UsdPerJob = MaxUsd, UsdPerRepositoryPerDay = MaxUsdPerRepositoryPerDay };

    /// <summary>What is wrong with the settings, in the routing file's terms, or null.</summary>
    internal string? Problem(string agent)
    {
        if (string.IsNullOrWhiteSpace(Model)) return $"agents.{agent}.model must name a model (\"default\" is LLM_MODEL).";
        if (MaxFileChars is < 100 or > 1_000_000) return $"agents.{agent}.maxFileChars must be from 100 to 1000000 (got {MaxFileChars}).";
        if (MaxUsd is <= 0) return $"agents.{agent}.maxUsd must be more than 0, or absent for no ceiling.";
        if (MaxUsdPerRepositoryPerDay is <= 0) return $"agents.{agent}.maxUsdPerRepositoryPerDay must be more than 0, or absent for no ceiling.";
        return null;
    }
}
