using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using AgentFactory.Agents;
using AgentFactory.GitHub;
using AgentFactory.Options;

namespace AgentFactory.Workspace;

/// <summary>
/// One cached bare repository per GitHub repository, at &lt;data dir&gt;/mirrors/&lt;owner&gt;/&lt;name&gt;.git,
/// fetched from that repository's <see cref="RepositorySource"/> only. Jobs' worktrees are made from
/// it, so a job only ever sees its own repository's code, and one service serves many repositories.
/// A branch or tag is fetched each time (either may move); a commit only when the mirror lacks it.
/// Callers hold <see cref="GateFor"/> while they change a mirror: git locks its shared state.
/// </summary>
public sealed partial class Mirrors(AgentFactoryOptions options, Git git, ILogger<Mirrors> log) : IDisposable
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public string Root => options.MirrorDirectory;

    public string PathOf(RepositoryName repository)
    {
        var parts = repository.Key.Split('/');
        return Path.Combine(Root, parts[0], parts[1] + ".git");
    }

    public SemaphoreSlim GateFor(RepositoryName repository) => _gates.GetOrAdd(repository.Key, _ => new SemaphoreSlim(1, 1));

    /// <summary>The mirrors on disk (for pruning and `doctor`).</summary>
    public IReadOnlyList<string> All() =>
        Directory.Exists(Root) ? [.. Directory.GetDirectories(Root).SelectMany(owner => Directory.GetDirectories(owner, "*.git")).Order(StringComparer.Ordinal)] : [];

    /// <summary>The commit <paramref name="target"/> names in the repository, fetched into its mirror first. Call under the gate.</summary>
    public async Task<(string Mirror, string Sha)> ResolveAsync(RepositorySource source, GitTarget target, CancellationToken ct)
    {
        if (PrivateDirectory.Ensure(Root) is { } problem)
            throw new PermanentAgentException($"The mirror directory is not private: {problem}. Fix it or set AGENTFACTORY_DATA_DIR to a directory only the service user can write.");
        var mirror = PathOf(source.Repository);
        if (!File.Exists(Path.Combine(mirror, "HEAD")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(mirror)!);
            await git.RunAsync(Root, ["init", "--quiet", "--bare", mirror], ct);
            LogCreated(log, source.Repository.FullName, mirror);
        }

        if (target.Kind != "commit" || await RevParseAsync(mirror, target.Ref, ct) is null)
        {
            var refspec = target.Kind == "commit" ? target.Name : $"+{target.Ref}:{target.Ref}";
            var config = GitConfig.For(source.Remote.Auth);
            var fetch = await git.TryRunAsync(mirror, ["fetch", "--quiet", "--no-tags", "--end-of-options", source.Remote.Url, refspec], ct, config);
            if (fetch.ExitCode != 0)
            {
                var output = fetch.Output.Trim();
                if (target.Kind != "commit" && await RevParseAsync(mirror, target.Ref, ct) is { } cached)
                {
                    LogFetchFailedUsingCached(log, target.ToString(), source.Repository.FullName, output);
                    return (mirror, cached);
                }
                var message = $"Could not fetch {target} of {source.Repository} from {source.Remote.Url} ({source.Origin}): {output}. {source.Hint}";
                throw WillNotChange().IsMatch(output) ? new PermanentAgentException(message) : new GitException(message);
            }
        }
        return (mirror, await RevParseAsync(mirror, target.Ref, ct)
            ?? throw new PermanentAgentException($"{target} does not exist in {source.Repository} ({source.Remote.Url}, {source.Origin})."));
    }

    private async Task<string?> RevParseAsync(string mirror, string rev, CancellationToken ct)
    {
        var result = await git.TryRunAsync(mirror, ["rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"], ct);
        return result.ExitCode == 0 ? result.Output.Trim() : null;
    }

    public void Dispose()
    {
        foreach (var gate in _gates.Values) gate.Dispose();
    }

    // Answers a retry will not change: no such repository or ref, or credentials refused.
    [GeneratedRegex(@"(?i)not found|couldn't find remote ref|authentication failed|could not read (username|password)|does not appear to be a git repository|permission denied|not our ref")]
    private static partial Regex WillNotChange();

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the mirror of {Repository} at {Path}")]
    private static partial void LogCreated(ILogger logger, string repository, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not fetch {Target} of {Repository} ({Output}); using the mirror's copy")]
    private static partial void LogFetchFailedUsingCached(ILogger logger, string target, string repository, string output);
}
