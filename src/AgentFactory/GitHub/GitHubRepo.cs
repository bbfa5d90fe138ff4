using Octokit;

namespace AgentFactory.GitHub;

/// <summary>An authenticated client bound to the repository of one job's event.</summary>
/// <param name="asApp">The client acts as the GitHub App's installation (it may write check runs), not as GITHUB_TOKEN's user.</param>
public sealed class GitHubRepo(RepositoryName repository, IGitHubClient client, string token, bool asApp = false)
{
    public bool AsApp { get; } = asApp;

    public RepositoryName Repository { get; } = repository;
    public string Owner => Repository.Owner;
    public string Name => Repository.Name;
    public string FullName => Repository.FullName;
    public IGitHubClient Client { get; } = client;

    /// <summary>The token behind <see cref="Client"/>, for git over HTTPS. Never log it.</summary>
    internal string Token { get; } = token;

    /// <summary>One API call with GitHub's errors translated (see <see cref="GitHubCall"/>).</summary>
    public Task<T> CallAsync<T>(string what, Func<IGitHubClient, Task<T>> call, CancellationToken ct) =>
        GitHubCall.RunAsync(what, () => call(Client), ct);
}
