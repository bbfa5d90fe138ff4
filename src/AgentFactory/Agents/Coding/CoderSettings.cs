using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Models;

namespace AgentFactory.Agents.Coding;

/// <summary>Settings of a "coder" agent in the routing file (docs/coding-agent.md, "Settings").</summary>
public sealed class CoderSettings : AgentSandboxSettings
{
    /// <summary>"model" (a model of the catalog in a tool loop) or "cli" (a coding CLI: see <c>cli</c>).</summary>
    public string Runtime { get; set; } = "model";

    /// <summary>The catalog model to use (docs/models.md); "default" is LLM_MODEL's.</summary>
    public string Model { get; set; } = ModelCatalog.DefaultName;

    /// <summary>For runtime "cli": "claude", "codex", "aider" or "command" (with <see cref="Command"/>).</summary>
    public string? Cli { get; set; }
    public string? Command { get; set; }
    public string? Executable { get; set; }
    public int CheckpointEvery { get; set; } = 3;

    // Budgets per job; the day's ceiling per repository is shared by every job and instance.
    public int MaxTurns { get; set; } = 60;
    public double MaxMinutes { get; set; } = 30;
    public long? MaxInputTokens { get; set; } = 2_000_000;
    public long? MaxOutputTokens { get; set; }
    public decimal? MaxUsd { get; set; }
    public decimal? MaxUsdPerRepositoryPerDay { get; set; }

    /// <summary>The repository's test command (bash -lc); absent means detect it (docs/coding-agent.md).</summary>
    public string? TestCommand { get; set; }
    public int ShellTimeoutSeconds { get; set; } = 120;
    public int TestTimeoutSeconds { get; set; } = 900;

    /// <summary>How many recent tool results the model sees in full.</summary>
    public int KeepToolResults { get; set; } = 8;

    /// <summary>The repository's agent instructions, read from its default branch (never a pull request's head).</summary>
    public string InstructionsFile { get; set; } = "AGENTS.md";

    /// <summary>Environment variables of the service passed to the agent's processes (beyond PATH, HOME, LANG …).</summary>
    public List<string> PassEnv { get; set; } = [];

    // Where the work goes, as for the task agent.
    public string? Remote { get; set; }
    public string BranchPrefix { get; set; } = "agent-task/issue-";
    public string AuthorName { get; set; } = "Agent Factory";
    public string AuthorEmail { get; set; } = "agentfactory@users.noreply.github.com";

    public BudgetLimits Budget => new()
    {
        Turns = MaxTurns,
        InputTokens = MaxInputTokens,
        OutputTokens = MaxOutputTokens,
        UsdPerJob = MaxUsd,
        UsdPerRepositoryPerDay = MaxUsdPerRepositoryPerDay,
    };

    public TimeSpan WallClock => TimeSpan.FromMinutes(MaxMinutes);

    public CodingToolSettings Tools => new()
    {
        TestCommand = TestCommand,
        ShellTimeout = TimeSpan.FromSeconds(ShellTimeoutSeconds),
        TestTimeout = TimeSpan.FromSeconds(TestTimeoutSeconds),
    };

    /// <summary>Every range check, naming the setting; null when all are fine.</summary>
    public string? Problem(string agent)
    {
        string S(string field) => $"agents.{agent}.{field}";
        if (Runtime is not ("model" or "cli")) return $"{S("runtime")} must be \"model\" (a model in a tool loop) or \"cli\" (a coding CLI); got '{Runtime}'.";
        if (MaxTurns is < 1 or > 10_000) return $"{S("maxTurns")} must be from 1 to 10000 (got {MaxTurns}).";
        if (MaxMinutes is <= 0 or > 24 * 60) return $"{S("maxMinutes")} must be more than 0 and at most 1440 (got {MaxMinutes}).";
        if (MaxInputTokens is < 1) return $"{S("maxInputTokens")} must be at least 1, or absent for no ceiling.";
        if (MaxOutputTokens is < 1) return $"{S("maxOutputTokens")} must be at least 1, or absent for no ceiling.";
        if (MaxUsd is <= 0) return $"{S("maxUsd")} must be more than 0, or absent for no ceiling.";
        if (MaxUsdPerRepositoryPerDay is <= 0) return $"{S("maxUsdPerRepositoryPerDay")} must be more than 0, or absent for no ceiling.";
        if (ShellTimeoutSeconds is < 1 or > 3600) return $"{S("shellTimeoutSeconds")} must be from 1 to 3600 (got {ShellTimeoutSeconds}).";
        if (TestTimeoutSeconds is < 1 or > 86_400) return $"{S("testTimeoutSeconds")} must be from 1 to 86400 (got {TestTimeoutSeconds}).";
        if (KeepToolResults is < 1 or > 100) return $"{S("keepToolResults")} must be from 1 to 100 (got {KeepToolResults}).";
        if (string.IsNullOrWhiteSpace(InstructionsFile) || Path.IsPathRooted(InstructionsFile) || InstructionsFile.Split('/', '\\').Contains(".."))
            return $"{S("instructionsFile")} must be a file path inside the repository, e.g. \"AGENTS.md\" (got '{InstructionsFile}').";
        return null;
    }
}
