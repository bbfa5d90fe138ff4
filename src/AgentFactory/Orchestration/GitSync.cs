using AgentFactory.Options;
using AgentFactory.Workspace;

namespace AgentFactory.Orchestration;

/// <summary>
/// GIT_SYNC_ENABLED: `git pull --ff-only` of the working copy (GIT_SYNC_PATH, default the working
/// directory) once per tick, bounded by GIT_SYNC_TIMEOUT_SECONDS. A failure is logged, never thrown.
/// This is the service's own working copy; agents never check code out of it (they use
/// <see cref="Mirrors"/> of their event's repository). What git prints is logged redacted.
/// </summary>
public sealed partial class GitSync(AgentFactoryOptions options, Git git, ILogger<GitSync> log)
{
    private bool _notRepoReported;

    public string WorkingCopy => Path.GetFullPath(options.GitSyncPath ?? Directory.GetCurrentDirectory());

    /// <summary>Returns "ok", "skipped" or "failed".</summary>
    public async Task<string> SyncAsync(CancellationToken ct)
    {
        if (!options.GitSyncEnabled) return "skipped";
        var path = WorkingCopy;
        if (!Directory.Exists(Path.Combine(path, ".git")) && !File.Exists(Path.Combine(path, ".git")))
        {
            if (options.GitSyncPath is not null) LogNotRepo(log, path);
            else if (!_notRepoReported) LogNoDefaultRepo(log, path);
            _notRepoReported = true;
            return options.GitSyncPath is null ? "skipped" : "failed";
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.GitSyncTimeout);
        try
        {
            // The same small environment as the agents' git, with prompts off: a pull never waits for a password.
            // A password in a remote's URL goes in a header, out of the remote helper's arguments (`ps`).
            var credentials = await git.RemoteCredentialsAsync(path, timeout.Token);
            var result = await git.TryRunAsync(path, ["pull", "--ff-only"], timeout.Token, credentials);
            if (result.ExitCode == 0)
            {
                LogSynced(log, path, result.Output.Trim());
                return "ok";
            }
            LogFailed(log, path, result.ExitCode, result.Output.Trim());
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            LogTimedOut(log, path, options.GitSyncTimeout.TotalSeconds);
        }
        catch (InvalidOperationException e)
        {
            LogFailed(log, path, -1, e.Message);
        }
        return "failed";
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "git sync of {Path}: {Output}")]
    private static partial void LogSynced(ILogger logger, string path, string output);

    [LoggerMessage(Level = LogLevel.Warning, Message = "git sync of {Path} failed (exit {Code}): {Output}. Check the remote and credentials, or set GIT_SYNC_ENABLED=false")]
    private static partial void LogFailed(ILogger logger, string path, int code, string output);

    [LoggerMessage(Level = LogLevel.Warning, Message = "git sync of {Path} timed out after {Seconds}s (GIT_SYNC_TIMEOUT_SECONDS); the loop goes on")]
    private static partial void LogTimedOut(ILogger logger, string path, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "git sync: GIT_SYNC_PATH {Path} is not a git working copy")]
    private static partial void LogNotRepo(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "git sync skipped: {Path} is not a git working copy. Set GIT_SYNC_PATH to the clone to keep current, or GIT_SYNC_ENABLED=false")]
    private static partial void LogNoDefaultRepo(ILogger logger, string path);
}
