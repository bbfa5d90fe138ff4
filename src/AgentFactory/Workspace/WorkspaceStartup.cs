using AgentFactory.Hosting;
using AgentFactory.Options;

namespace AgentFactory.Workspace;

/// <summary>
/// Before the orchestrator claims a job: the mirror and worktree directories must be private to the
/// service user (else the start fails, naming the directory), and the worktrees a killed service
/// left behind are removed from disk and from their mirrors' `git worktree list`, and so are the
/// agents' scratch directories it left (data/work).
/// </summary>
public sealed partial class WorkspaceStartup(AgentFactoryOptions options, Worktrees worktrees, ILogger<WorkspaceStartup> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var problems = new[] { options.MirrorDirectory, options.WorktreeDirectory }.Select(PrivateDirectory.Ensure).OfType<string>().ToList();
        if (problems.Count > 0)
            throw new SettingsException(string.Join(Environment.NewLine, problems.Select(p =>
                $"{p}. Agents check code out there and run it: it must be a directory of the service user with mode 0700. " +
                "Remove it (the service re-creates it) or set AGENTFACTORY_DATA_DIR to a private directory.")));

        var (removed, pruned) = await worktrees.SweepAsync(cancellationToken);
        if (removed > 0 || pruned > 0) LogSwept(log, removed, pruned, worktrees.Root);
        if (Sandbox.ScratchDirectory.Sweep(options.DataDirectory) is > 0 and var scratch) LogScratchSwept(log, scratch, options.DataDirectory);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Removed} stale worktree(s) left by an earlier run from {Root}; {Pruned} entries pruned from the mirrors' worktree lists")]
    private static partial void LogSwept(ILogger logger, int removed, int pruned, string root);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Removed} scratch directory(ies) left by an earlier run from {DataDirectory}/work")]
    private static partial void LogScratchSwept(ILogger logger, int removed, string dataDirectory);
}
