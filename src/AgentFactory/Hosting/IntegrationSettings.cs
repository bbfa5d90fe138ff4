using AgentFactory.GitHub;
using AgentFactory.Models;
using AgentFactory.Notify;
using AgentFactory.Redelivery;

namespace AgentFactory.Hosting;

/// <summary>
/// The settings of what the service talks to besides its database: GitHub, the LLM, Telegram/Slack
/// and the redelivery schedule. Loaded with the rest at start-up; every problem is reported together.
/// </summary>
public sealed record IntegrationSettings(GitHubSettings GitHub, LlmSettings Llm, NotifySettings Notify, RedeliverySettings Redelivery)
{
    /// <summary>Nothing configured: what a test gets unless it says otherwise.</summary>
    public static IntegrationSettings None { get; } = Load(_ => null);

    public static IntegrationSettings Load(Func<string, string?> env)
    {
        var reader = new EnvReader(env);
        var github = GitHubSettings.Load(reader);
        var settings = new IntegrationSettings(github, ModelServices.LoadLlm(reader), NotifySettings.Load(reader), RedeliverySettings.Load(reader, github));
        reader.ThrowIfErrors();
        return settings;
    }
}
