using AgentFactory.Agents;
using AgentFactory.Options;
using Microsoft.Extensions.Logging;

namespace AgentFactory.Workspace;

/// <summary>What to check out: a commit sha, a tag, or the tip of a branch on origin.</summary>
public sealed record GitTarget(string Kind, string Name)
{
    public static GitTarget Commit(string sha) => new("commit", sha);
    public static GitTarget Tag(string tag) => new("tag", tag);
    public static GitTarget Branch(string branch) => new("branch", branch);
    public override string ToString() => $"{Kind} {Name}";
}

/// <summary>
/// Gives each job its own `git worktree` of the shared clone (GIT_SYNC_PATH, which the orchestrator
/// keeps current), detached at the event's commit, under the temp directory. Jobs never share a
/// working tree; the worktree is removed when the job is done, also on failure or cancellation.
/// A commit the clone lacks is fetched from origin. Changes to the clone's shared state (fetch,
/// worktree add/remove) are serialized: git takes locks there.
/// </summary>
public sealed partial class Worktrees(AgentFactoryOptions options, Git git, ILogger<Worktrees> log) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string SharedClone => Path.GetFullPath(options.GitSyncPath ?? Directory.GetCurrentDirectory());

    public static string Root => Path.Combine(Path.GetTempPath(), "agentfactory-worktrees");

    public async Task<Worktree> CheckoutAsync(GitTarget target, string label, CancellationToken ct)
    {
        var clone = SharedClone;
        if (!Directory.Exists(Path.Combine(clone, ".git")) && !File.Exists(Path.Combine(clone, ".git")))
            throw new PermanentAgentException($"GIT_SYNC_PATH ({clone}) is not a git clone. Agents that need the code check out worktrees of it: clone the repository there.");

        Directory.CreateDirectory(Root);
        var path = Path.Combine(Root, $"{label}-{Guid.NewGuid().ToString("N")[..8]}");
        await _gate.WaitAsync(ct);
        try
        {
            var sha = await ResolveAsync(clone, target, ct);
            await git.TryRunAsync(clone, ["worktree", "prune"], ct);
            await git.RunAsync(clone, ["worktree", "add", "--detach", path, sha], ct);
            LogCreated(log, path, target.ToString(), sha);
            return new Worktree(this, path, sha);
        }
        catch
        {
            await RemoveAsync(path);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> ResolveAsync(string clone, GitTarget target, CancellationToken ct)
    {
        var (local, refspec) = target.Kind switch
        {
            "tag" => ($"refs/tags/{target.Name}", $"+refs/tags/{target.Name}:refs/tags/{target.Name}"),
            "branch" => ($"refs/remotes/origin/{target.Name}", $"+refs/heads/{target.Name}:refs/remotes/origin/{target.Name}"),
            _ => (target.Name, target.Name),
        };
        // A branch is fetched every time (its tip moves); a commit or tag only when the clone lacks it.
        if (target.Kind == "branch" || await RevParseAsync(clone, local, ct) is null)
        {
            var fetch = await git.TryRunAsync(clone, ["fetch", "--quiet", "origin", refspec], ct);
            if (fetch.ExitCode != 0 && (target.Kind != "branch" || await RevParseAsync(clone, local, ct) is null))
                throw new GitException($"{target} is not in the shared clone {clone} and fetching it from origin failed: {fetch.Output.Trim()}");
        }
        return await RevParseAsync(clone, local, ct)
            ?? (target.Kind == "branch" ? await RevParseAsync(clone, $"refs/heads/{target.Name}", ct) : null)
            ?? throw new PermanentAgentException($"{target} does not exist in origin of {clone}.");
    }

    private async Task<string?> RevParseAsync(string clone, string rev, CancellationToken ct)
    {
        var result = await git.TryRunAsync(clone, ["rev-parse", "--verify", "--quiet", rev + "^{commit}"], ct);
        return result.ExitCode == 0 ? result.Output.Trim() : null;
    }

    /// <summary>Removes a worktree; bounded on its own (the job's token may already be cancelled).</summary>
    internal async Task RemoveAsync(string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var removed = await git.TryRunAsync(SharedClone, ["worktree", "remove", "--force", path], timeout.Token);
        if (removed.ExitCode != 0 || Directory.Exists(path))
        {
            try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
            catch (IOException e) { LogRemoveFailed(log, path, e.Message); }
            catch (UnauthorizedAccessException e) { LogRemoveFailed(log, path, e.Message); }
            await git.TryRunAsync(SharedClone, ["worktree", "prune"], timeout.Token);
        }
    }

    internal async Task ReleaseAsync(Worktree worktree)
    {
        await _gate.WaitAsync();
        try
        {
            await RemoveAsync(worktree.Path);
            LogRemoved(log, worktree.Path);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worktree {Path} created at {Target} ({Sha})")]
    private static partial void LogCreated(ILogger logger, string path, string target, string sha);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worktree {Path} removed")]
    private static partial void LogRemoved(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove worktree {Path}: {Reason}")]
    private static partial void LogRemoveFailed(ILogger logger, string path, string reason);
}

/// <summary>A job's private checkout. Dispose it (await using) to remove it.</summary>
public sealed class Worktree(Worktrees owner, string path, string sha) : IAsyncDisposable
{
    public string Path { get; } = path;
    public string Sha { get; } = sha;

    public ValueTask DisposeAsync() => new(owner.ReleaseAsync(this));
}
