using AgentFactory.GitHub;
using AgentFactory.Workspace;

namespace AgentFactory.Agents.Trust;

/// <summary>
/// The repository's instructions for agents (AGENTS.md, or the path an agent is configured with), read from
/// the tip of the repository's DEFAULT branch in the service's mirror — never from a pull request's head or
/// the job's worktree, so a change under review cannot rewrite the rules its own review or coding agent follows
/// (the malicious CLAUDE.md / .mcp.json in a PR head, GHSA-8q5r-mmjf-575q). The text is the team's (only
/// writers change the default branch) and is returned as stored, cut at <see cref="MaxChars"/>.
/// </summary>
/// <remarks>
/// For the coding agent: <c>await instructions.ReadAsync(source, payload repository.default_branch, ct)</c> with the
/// job's <see cref="RepositorySource"/> (from <see cref="RepositorySources.ForJobAsync"/>). Null when the file is
/// not on the default branch. A branch name that is not one (an option, a revision expression) is refused with a
/// <see cref="PermanentAgentException"/>; a failed fetch is a <see cref="GitException"/> (retried) unless the
/// mirror already holds the branch.
/// </remarks>
public sealed class AgentInstructions
{
    public const string DefaultPath = "AGENTS.md";
    public const int MaxChars = 64 * 1024;

    private readonly Mirrors _mirrors;
    private readonly Git _git;

    public AgentInstructions(Mirrors mirrors, Git git, string path = DefaultPath)
    {
        if (Problem(path) is { } problem) throw new AgentConfigurationException(problem);
        (_mirrors, _git, Path) = (mirrors, git, path.Replace('\\', '/'));
    }

    /// <summary>The file read, relative to the repository's root.</summary>
    public string Path { get; }

    /// <summary>Why <paramref name="path"/> cannot name an instruction file (for an agent's setting), or null.</summary>
    public static string? Problem(string? path) =>
        string.IsNullOrWhiteSpace(path) || System.IO.Path.IsPathRooted(path) || path.StartsWith('-') || path.Contains(':', StringComparison.Ordinal)
            || path.Replace('\\', '/').Split('/').Any(p => p is "" or "." or "..")
            ? $"The agent instructions path must be a file inside the repository such as \"{DefaultPath}\" or \"docs/agents.md\" (got '{RepositoryName.Shown(path ?? "")}')."
            : null;

    public async Task<string?> ReadAsync(RepositorySource source, string defaultBranch, CancellationToken ct)
    {
        var branch = GitTarget.Branch(defaultBranch, "repository.default_branch");
        var gate = _mirrors.GateFor(source.Repository);
        await gate.WaitAsync(ct);
        try
        {
            var (mirror, sha) = await _mirrors.ResolveAsync(source, branch, ct);
            var spec = $"{sha}:{Path}";
            var type = await _git.TryRunAsync(mirror, ["cat-file", "-t", "--end-of-options", spec], ct);
            if (type.ExitCode != 0 || type.Output.Trim() != "blob") return null; // absent, or a folder or submodule of that name
            var text = await _git.RunAsync(mirror, ["cat-file", "blob", "--end-of-options", spec], ct);
            return text.Length <= MaxChars ? text : text[..MaxChars];
        }
        finally
        {
            gate.Release();
        }
    }
}
