using System.Text.Json;
using AgentFactory.GitHub;
using AgentFactory.Workspace;
using Microsoft.Extensions.Logging;

// The namespace is plural so it does not hide System.Threading.Tasks.Task.
namespace AgentFactory.Agents.Tasks;

/// <summary>Settings of a "task" agent in the routing file.</summary>
public sealed class TaskAgentSettings
{
    /// <summary>Where to push: a remote of the shared clone ("origin"), a URL or a path. Default: the event's repository.clone_url with the GitHub token.</summary>
    public string? Remote { get; set; }

    public string PlanDirectory { get; set; } = "plans";
    public string BranchPrefix { get; set; } = "agent-task/issue-";
    public string AuthorName { get; set; } = "Agent Factory";
    public string AuthorEmail { get; set; } = "agentfactory@users.noreply.github.com";

    /// <summary>Ask the LLM for the plan when one is configured; otherwise a template.</summary>
    public bool UseLlm { get; set; } = true;
}

public sealed class TaskAgentKind(GitHubClients github, PlanWriter planner, Worktrees worktrees, Git git, ILogger<TaskAgent> log) : IAgentKind
{
    public string Kind => "task";

    public IAgent Create(string name, JsonElement settings)
    {
        var parsed = AgentSettings.Parse<TaskAgentSettings>(name, settings);
        if (string.IsNullOrWhiteSpace(parsed.PlanDirectory) || Path.IsPathRooted(parsed.PlanDirectory) || parsed.PlanDirectory.Split('/', '\\').Contains(".."))
            throw new AgentConfigurationException($"agents.{name}.planDirectory must be a folder inside the repository, e.g. \"plans\" (got '{parsed.PlanDirectory}').");
        if (string.IsNullOrWhiteSpace(parsed.BranchPrefix) || parsed.BranchPrefix.Contains(' ', StringComparison.Ordinal))
            throw new AgentConfigurationException($"agents.{name}.branchPrefix must be a branch name prefix such as \"agent-task/issue-\".");
        return new TaskAgent(name, parsed, github, planner, worktrees, git, log);
    }
}
