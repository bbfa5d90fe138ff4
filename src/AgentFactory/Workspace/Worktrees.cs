using AgentFactory.Agents;
using AgentFactory.Options;

namespace AgentFactory.Workspace;

/// <summary>
/// Gives each job its own `git worktree` of its repository's mirror (<see cref="Mirrors"/>), detached
/// at the event's commit, in &lt;data dir&gt;/worktrees (private to the service user, checked before
/// each use). Jobs never share a working tree; the worktree is removed when the job is done, also on
/// failure or cancellation. While a job holds a worktree it holds an exclusive lock on its
/// "&lt;path&gt;.lock" file: the kernel drops the lock when the process dies, so at start
/// <see cref="SweepAsync"/> can tell the worktrees of a killed service from those of a live one
/// sharing the data directory.
/// </summary>
public sealed partial class Worktrees(AgentFactoryOptions options, Mirrors mirrors, Git git, ILogger<Worktrees> log)
{
    public string Root => options.WorktreeDirectory;

    public async Task<Worktree> CheckoutAsync(RepositorySource source, GitTarget target, string label, CancellationToken ct)
    {
        if (PrivateDirectory.Ensure(Root) is { } problem)
            throw new PermanentAgentException($"The worktree directory is not private: {problem}. Fix it or set AGENTFACTORY_DATA_DIR to a directory only the service user can write.");
        var path = Path.Combine(Root, $"{label}-{Guid.NewGuid().ToString("N")[..8]}");
#pragma warning disable CA2000 // the claim is released (disposed) by Release when the worktree goes
        var claim = Claim(path) ?? throw new GitException($"The worktree lock {path}.lock is held by another process.");
#pragma warning restore CA2000
        var gate = mirrors.GateFor(source.Repository);
        string? mirror = null;
        await gate.WaitAsync(ct);
        try
        {
            (mirror, var sha) = await mirrors.ResolveAsync(source, target, ct);
            await git.RunAsync(mirror, ["worktree", "add", "--quiet", "--detach", path, sha], ct);
            LogCreated(log, path, source.Repository.FullName, target.ToString(), sha);
            return new Worktree(this, source, mirror, path, sha, claim);
        }
        catch
        {
            if (mirror is not null) await RemoveAsync(mirror, path);
            Release(path, claim);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    internal async Task ReleaseAsync(Worktree worktree)
    {
        var gate = mirrors.GateFor(worktree.Source.Repository);
        await gate.WaitAsync();
        try
        {
            await RemoveAsync(worktree.Mirror, worktree.Path);
            LogRemoved(log, worktree.Path);
        }
        finally
        {
            gate.Release();
            Release(worktree.Path, worktree.Claim);
        }
    }

    /// <summary>
    /// Removes the worktrees no live process holds (left by a killed service) from disk, then prunes
    /// every mirror's worktree list. Returns how many directories were removed and entries pruned.
    /// </summary>
    public async Task<(int Removed, int Pruned)> SweepAsync(CancellationToken ct)
    {
        var removed = 0;
        if (Directory.Exists(Root))
        {
#pragma warning disable CA2000 // each claim is released (disposed) by Release right after
            foreach (var dir in Directory.GetDirectories(Root))
            {
                if (Claim(dir) is not { } claim) continue; // a live job's
                try
                {
                    Delete(dir);
                    removed++;
                }
                finally
                {
                    Release(dir, claim);
                }
            }
            foreach (var orphan in Directory.GetFiles(Root, "*.lock").Where(f => !Directory.Exists(f[..^".lock".Length])))
                if (Claim(orphan[..^".lock".Length]) is { } claim) Release(orphan[..^".lock".Length], claim);
#pragma warning restore CA2000
        }
        var pruned = 0;
        foreach (var mirror in mirrors.All())
        {
            var result = await git.TryRunAsync(mirror, ["worktree", "prune", "--verbose"], ct);
            pruned += result.Output.Split('\n').Count(l => l.StartsWith("Removing ", StringComparison.Ordinal));
        }
        return (removed, pruned);
    }

    /// <summary>Removes a worktree; bounded on its own (the job's token may already be cancelled).</summary>
    private async Task RemoveAsync(string mirror, string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var removed = await git.TryRunAsync(mirror, ["worktree", "remove", "--force", path], timeout.Token);
        if (removed.ExitCode != 0 || Directory.Exists(path))
        {
            Delete(path);
            await git.TryRunAsync(mirror, ["worktree", "prune"], timeout.Token);
        }
    }

    private void Delete(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (IOException e) { LogRemoveFailed(log, path, e.Message); }
        catch (UnauthorizedAccessException e) { LogRemoveFailed(log, path, e.Message); }
    }

    /// <summary>An exclusive lock (flock, through FileShare.None) on "&lt;path&gt;.lock"; null when another process holds it.</summary>
    private static FileStream? Claim(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            return new FileStream(path + ".lock", options);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void Release(string path, FileStream claim)
    {
        try { File.Delete(path + ".lock"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        claim.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worktree {Path} of {Repository} created at {Target} ({Sha})")]
    private static partial void LogCreated(ILogger logger, string path, string repository, string target, string sha);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worktree {Path} removed")]
    private static partial void LogRemoved(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove worktree {Path}: {Reason}")]
    private static partial void LogRemoveFailed(ILogger logger, string path, string reason);
}

/// <summary>A job's private checkout of its repository. Dispose it (await using) to remove it.</summary>
public sealed class Worktree : IAsyncDisposable
{
    private readonly Worktrees _owner;

    internal Worktree(Worktrees owner, RepositorySource source, string mirror, string path, string sha, FileStream claim) =>
        (_owner, Source, Mirror, Path, Sha, Claim) = (owner, source, mirror, path, sha, claim);

    public RepositorySource Source { get; }
    public string Mirror { get; }
    public string Path { get; }
    public string Sha { get; }
    internal FileStream Claim { get; }

    public ValueTask DisposeAsync() => new(_owner.ReleaseAsync(this));
}
