using System.Text.Json;
using AgentFactory.GitHub;
using AgentFactory.Workspace;

namespace AgentFactory.Agents.CodeReview;

public sealed class CodeReviewAgentKind(GitHubClients github, RepositorySources sources, ReviewWriter writer, Worktrees worktrees, ILogger<CodeReviewAgent> log) : IAgentKind
{
    public string Kind => "code_review";

    public IAgent Create(string name, JsonElement settings)
    {
        var parsed = AgentSettings.Parse<CodeReviewSettings>(name, settings);
        if (parsed.Problem(name) is { } problem) throw new AgentConfigurationException(problem);
        return new CodeReviewAgent(name, parsed, github, sources, writer, worktrees, log);
    }
}
