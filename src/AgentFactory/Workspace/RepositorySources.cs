using AgentFactory.Agents;
using AgentFactory.GitHub;
using AgentFactory.Options;

namespace AgentFactory.Workspace;

/// <summary>Where one repository's code comes from, and how to say so in a message.</summary>
/// <param name="Origin">The setting behind <see cref="Remote"/>, for messages: "REPOSITORY_PATHS" or the git host of GITHUB_API_URL.</param>
/// <param name="Credential">Which credential git sends, by name ("GITHUB_TOKEN", "none"); never its value.</param>
public sealed record RepositorySource(RepositoryName Repository, GitRemote Remote, string Origin, string Credential)
{
    public bool IsLocal => Origin == "REPOSITORY_PATHS";

    /// <summary>What to do when fetching from it fails, in the operator's terms.</summary>
    public string Hint => IsLocal
        ? $"Check the clone at {Remote.Url} (REPOSITORY_PATHS), or remove {Repository.Key} from REPOSITORY_PATHS to fetch it from GitHub."
        : Remote.Auth is null
        ? $"No GitHub credential is set, so only a public repository can be fetched: check that {Repository} is public on {Remote.Url}, " +
          $"set GITHUB_TOKEN or the GitHub App (GITHUB_API_URL for Enterprise), or set REPOSITORY_PATHS={Repository.Key}=/path/to/a/clone to use a local clone."
        : $"Check that {Credential} can read {Repository} on {Remote.Url} (GITHUB_TOKEN or the GitHub App; GITHUB_API_URL for Enterprise), " +
          $"or set REPOSITORY_PATHS={Repository.Key}=/path/to/a/clone to use a local clone.";
}

/// <summary>
/// Resolves the repository a job is about to where git reaches it: a local clone from REPOSITORY_PATHS,
/// else {GitHub host}/{owner}/{name}.git with the service's GitHub credentials. Both come from
/// configuration and the repository's full name only: a URL in the payload (repository.clone_url) is
/// never fetched from, pushed to or sent a credential.
/// </summary>
public sealed class RepositorySources(AgentFactoryOptions options, GitHubClients github)
{
    /// <summary>The git host of GITHUB_API_URL (https://github.com/ for the public API).</summary>
    public Uri GitHost => github.Settings.GitUrl;

    public async Task<RepositorySource> ForJobAsync(AgentJob job, string agentName, CancellationToken ct)
    {
        var repository = RepositoryName.FromJob(job, agentName);
        if (Mapped(repository) is { } local) return local;
        var token = await github.GitTokenForAsync(job, ct);
        return OnGitHost(repository, token);
    }

    public RepositorySource? Mapped(RepositoryName repository) =>
        options.RepositoryPaths.TryGetValue(repository.Key, out var path) ? new RepositorySource(repository, new GitRemote(path), "REPOSITORY_PATHS", "none") : null;

    /// <summary>
    /// Where an agent pushes: its configured remote (a URL, whose password moves to a header, or a path), else the
    /// repository on the GitHub host of GITHUB_API_URL. The job's GitHub token goes to that host only.
    /// </summary>
    public GitRemote PushTarget(string? configured, GitHub.GitHubRepo repo)
    {
        if (configured is null) return OnGitHost(repo.Repository, repo.Token).Remote;
        var remote = GitRemote.FromConfigured(configured);
        return remote.Auth is null && remote.IsOn(GitHost) ? remote with { Auth = GitAuth.Token(GitHost, repo.Token) } : remote;
    }

    public RepositorySource OnGitHost(RepositoryName repository, string? token)
    {
        var url = new Uri(GitHost, $"{repository.Owner}/{repository.Name}.git");
        var credential = token is null ? "none" : github.Settings.Describe();
        return new RepositorySource(repository, new GitRemote(url.AbsoluteUri, token is null ? null : GitAuth.Token(GitHost, token)),
            $"the git host of GITHUB_API_URL ({GitHost})", credential);
    }
}
