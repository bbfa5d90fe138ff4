using System.Text.Json;
using AgentFactory.GitHub;
using AgentFactory.Workspace;

// The namespace is plural so it does not hide System.Threading.Tasks.Task.
namespace AgentFactory.Agents.Tasks;

/// <summary>Settings of a "task" agent in the routing file.</summary>
public sealed class TaskAgentSettings
{
    /// <summary>
    /// Where to push: a URL (https://…, ssh://…, git@host:owner/repo.git) or an absolute path. Default:
    /// the repository on the GitHub host of GITHUB_API_URL, with the GitHub credential. A password in an
    /// https URL is sent as a header, never in git's arguments.
    /// </summary>
    public string? Remote { get; set; }

    public string PlanDirectory { get; set; } = "plans";
    public string BranchPrefix { get; set; } = "agent-task/issue-";
    public string AuthorName { get; set; } = "Agent Factory";
    public string AuthorEmail { get; set; } = "agentfactory@users.noreply.github.com";

    /// <summary>Ask the LLM for the plan when one is configured; otherwise a template.</summary>
    public bool UseLlm { get; set; } = true;
}

public sealed class TaskAgentKind(GitHubClients github, RepositorySources sources, PlanWriter planner, Worktrees worktrees, Git git, ILogger<TaskAgent> log) : IAgentKind
{
    public string Kind => "task";

    public IAgent Create(string name, JsonElement settings)
    {
        var parsed = AgentSettings.Parse<TaskAgentSettings>(name, settings);
        if (string.IsNullOrWhiteSpace(parsed.PlanDirectory) || Path.IsPathRooted(parsed.PlanDirectory) || parsed.PlanDirectory.Split('/', '\\').Contains(".."))
            throw new AgentConfigurationException($"agents.{name}.planDirectory must be a folder inside the repository, e.g. \"plans\" (got '{parsed.PlanDirectory}').");
        if (string.IsNullOrWhiteSpace(parsed.BranchPrefix) || !GitTarget.IsRefName(parsed.BranchPrefix + "1"))
            throw new AgentConfigurationException($"agents.{name}.branchPrefix must be a branch name prefix such as \"agent-task/issue-\".");
        if (parsed.Remote is { } remote && !IsRemote(remote))
            throw new AgentConfigurationException($"agents.{name}.remote must be a URL (https://host/owner/repo.git, ssh://…, git@host:owner/repo.git) or an absolute path (got '{GitRedaction.Redact(remote)}'). " +
                "Remote names such as \"origin\" are not accepted: agents work in mirrors, which have no remotes.");
        return new TaskAgent(name, parsed, github, sources, planner, worktrees, git, log);
    }

    private static bool IsRemote(string remote)
    {
        if (remote.Length == 0 || remote[0] == '-' || remote.Any(char.IsControl) || remote.Contains(' ', StringComparison.Ordinal)) return false;
        if (Path.IsPathFullyQualified(remote)) return true;
        if (Uri.TryCreate(remote, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "ssh" or "git" or "file") return true;
        // scp-like: user@host:path
        var at = remote.IndexOf('@', StringComparison.Ordinal);
        var colon = remote.IndexOf(':', StringComparison.Ordinal);
        return at > 0 && colon > at + 1 && colon < remote.Length - 1 && !remote[..colon].Contains('/', StringComparison.Ordinal);
    }
}
