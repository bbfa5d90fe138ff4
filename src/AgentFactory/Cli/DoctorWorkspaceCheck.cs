using AgentFactory.GitHub;
using AgentFactory.Hosting;
using AgentFactory.Options;
using AgentFactory.Workspace;

namespace AgentFactory.Cli;

/// <summary>
/// doctor's check of where agents get code: each repository from REPOSITORY_PATHS (validated when the
/// settings load) or from the git host of GITHUB_API_URL with the GitHub credential, into the mirrors
/// under the data directory; and whether the mirror and worktree directories are private.
/// </summary>
internal static class DoctorWorkspaceCheck
{
    public static void Run(AgentFactoryOptions options, Action<DoctorCommand.Level, string, string?> report)
    {
        var reader = new EnvReader(CliApp.Env.Reader);
        var github = GitHubSettings.Load(reader);
        if (reader.Errors.Count > 0) return; // the routing check already named them

        foreach (var (repository, path) in options.RepositoryPaths.OrderBy(p => p.Key, StringComparer.Ordinal))
            report(DoctorCommand.Level.Ok, $"repositories: {repository} comes from the clone {path} (REPOSITORY_PATHS)", null);
        var others = options.RepositoryPaths.Count == 0 ? "every repository comes" : "other repositories come";
        if (github.Configured)
            report(DoctorCommand.Level.Ok, $"repositories: {others} from {github.GitUrl}<owner>/<name>.git (the git host of GITHUB_API_URL) with {github.Describe()}", null);
        else
            report(DoctorCommand.Level.Warn, $"repositories: {others} from {github.GitUrl}<owner>/<name>.git without a credential, so only public ones can be checked out",
                "set GITHUB_TOKEN (or the GitHub App variables), or REPOSITORY_PATHS=owner/name=/path/to/clone for each repository agents check out");

        foreach (var (what, dir) in new[] { ("mirrors", options.MirrorDirectory), ("worktrees", options.WorktreeDirectory) })
        {
            if (!Path.Exists(dir) && new FileInfo(dir).LinkTarget is null)
            {
                report(DoctorCommand.Level.Ok, $"{what}: {dir} does not exist yet (created with mode 0700 at the first checkout)", null);
                continue;
            }
            if (PrivateDirectory.Problem(dir) is { } problem)
            {
                report(DoctorCommand.Level.Fail, $"{what}: {problem}; agents check code out there and run it",
                    $"remove {dir} (the service re-creates it with mode 0700), or set AGENTFACTORY_DATA_DIR to a private directory");
                continue;
            }
            var count = what == "mirrors"
                ? Directory.GetDirectories(dir).Sum(owner => Directory.GetDirectories(owner, "*.git").Length)
                : Directory.GetDirectories(dir).Length;
            report(DoctorCommand.Level.Ok, $"{what}: {dir} is private ({count} {(what == "mirrors" ? "repositories mirrored" : "worktrees in use or left by a stopped service, removed at its next start")})", null);
        }
    }
}
