using System.Collections.Concurrent;
using AgentFactory.GitHub;
using AgentFactory.Trust;
using Octokit;

namespace AgentFactory.Agents.Trust;

/// <summary>
/// A sender's permission on a repository, from GitHub's collaborator-permission API
/// (GET /repos/{owner}/{repo}/collaborators/{username}/permission) with the service's credential for the
/// job's repository (GITHUB_TOKEN or the App's installation). Answers are kept for <see cref="CacheFor"/>,
/// so a burst of comments costs one call; a revoked permission takes effect within that time. Failures
/// are not kept: <see cref="GitHubUnavailableException"/> (retry later) and <see cref="PermanentAgentException"/>
/// (GitHub refused the question, e.g. the credential cannot see the repository) reach the caller.
/// </summary>
public sealed class CollaboratorPermissions(GitHubClients github, TimeProvider time)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<(string Repository, string Login), (RepositoryAccess Permission, DateTimeOffset Until)> _cache = new();

    public async Task<RepositoryAccess> GetAsync(AgentJob job, string repository, string login, CancellationToken ct)
    {
        var key = (repository.ToLowerInvariant(), login.ToLowerInvariant());
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var hit) && hit.Until > now) return hit.Permission;
        var repo = await github.ForJobAsync(job, "the sender check", ct);
        var path = new Uri($"repos/{Uri.EscapeDataString(repo.Owner)}/{Uri.EscapeDataString(repo.Name)}/collaborators/{Uri.EscapeDataString(login)}/permission", UriKind.Relative);
        var answer = await repo.CallAsync($"checking {login}'s permission on {repo.FullName}",
            c => new ApiConnection(c.Connection).Get<PermissionAnswer>(path), ct);
        var permission = AgentFactory.Trust.RepositoryPermissions.FromAnswer(answer.Permission, answer.RoleName);
        _cache[key] = (permission, time.GetUtcNow() + CacheFor);
        if (_cache.Count > 10_000) Prune(time.GetUtcNow());
        return permission;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, value) in _cache)
            if (value.Until <= now) _cache.TryRemove(key, out _);
    }

    /// <summary>The two fields read from GitHub's answer (Octokit maps role_name to RoleName).</summary>
    public sealed class PermissionAnswer
    {
        public string? Permission { get; set; }
        public string? RoleName { get; set; }
    }
}
