using System.Text.Json;
using AgentFactory.Options;
using AgentFactory.Queue;

namespace AgentFactory.Orchestration;

/// <summary>
/// The orchestrator's periodic chores: rescue jobs whose lease expired (every half lease), and once
/// per tick write this instance's heartbeat row, prune old rows (RETENTION_*_DAYS, and heartbeats of
/// dead instances after <see cref="AgentFactoryOptions.HeartbeatRetention"/>) and run the git sync —
/// rescue and the tick chores on separate timers. Nothing runs before the host has started (see
/// <see cref="HostStart"/>), and a clean stop deletes this instance's heartbeat at once.
/// </summary>
public sealed partial class Maintenance(
    IMaintenanceStore store,
    GitSync gitSync,
    Orchestrator orchestrator,
    AgentFactoryOptions options,
    TimeProvider time,
    Observability.AgentFactoryMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<Maintenance> log) : BackgroundService
{
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();
    private volatile bool _heartbeatWritten;

    public string LastGitSync { get; private set; } = "never";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await HostStart.WaitAsync(lifetime, stoppingToken)) return;
        // Two independent loops: a slow git pull (up to GIT_SYNC_TIMEOUT_SECONDS) never delays a rescue.
        await Task.WhenAll(RescueLoopAsync(stoppingToken), TickLoopAsync(stoppingToken));
    }

    /// <summary>
    /// After the loops have ended, this instance's heartbeat goes: readers say "stopped" now rather than
    /// three ticks later. Only a row this process wrote is deleted — a `serve` that never started must
    /// not remove the row of a running instance with the same INSTANCE_NAME.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!_heartbeatWritten) return;
        try
        {
            await store.RemoveHeartbeatAsync(options.InstanceName, cancellationToken);
        }
        catch (Exception e) when (e is StoreUnavailableException or OperationCanceledException)
        {
            LogChoreFailed(log, "heartbeat removal", e.Message);
        }
    }

    private async Task RescueLoopAsync(CancellationToken ct)
    {
        var period = options.JobLease / 2 < options.TickInterval ? options.JobLease / 2 : options.TickInterval;
        using var timer = new PeriodicTimer(period, time);
        try
        {
            do await RescueAsync(ct);
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private async Task TickLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.TickInterval, time);
        try
        {
            do
            {
                await HeartbeatAsync(ct);
                await PruneAsync(ct);
                await PruneHeartbeatsAsync(ct);
                LastGitSync = await gitSync.SyncAsync(ct);
                metrics.GitSync(LastGitSync);
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private async Task RescueAsync(CancellationToken ct)
    {
        try
        {
            var rescued = await store.RescueExpiredAsync(ct);
            if (rescued > 0) LogRescued(log, rescued);
        }
        catch (StoreUnavailableException e)
        {
            LogChoreFailed(log, "rescue", e.Message);
        }
    }

    /// <summary>A zero retention keeps that kind of row forever (MinValue: nothing is older).</summary>
    private async Task PruneAsync(CancellationToken ct)
    {
        if (options.RetentionCompleted <= TimeSpan.Zero && options.RetentionEvents <= TimeSpan.Zero) return;
        var now = time.GetUtcNow();
        var completedBefore = options.RetentionCompleted > TimeSpan.Zero ? now - options.RetentionCompleted : DateTimeOffset.MinValue;
        var eventsBefore = options.RetentionEvents > TimeSpan.Zero ? now - options.RetentionEvents : DateTimeOffset.MinValue;
        try
        {
            var pruned = await store.PruneAsync(completedBefore, eventsBefore, ct);
            if (pruned > 0) LogPruned(log, pruned);
        }
        catch (StoreUnavailableException e)
        {
            LogChoreFailed(log, "prune", e.Message);
        }
    }

    private async Task PruneHeartbeatsAsync(CancellationToken ct)
    {
        try
        {
            var pruned = await store.PruneHeartbeatsAsync(time.GetUtcNow() - options.HeartbeatRetention, ct);
            if (pruned > 0) LogHeartbeatsPruned(log, pruned, options.HeartbeatRetention.TotalSeconds);
        }
        catch (StoreUnavailableException e)
        {
            LogChoreFailed(log, "heartbeat prune", e.Message);
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        try
        {
            var details = JsonSerializer.Serialize(new
            {
                instance = options.InstanceName,
                running = orchestrator.RunningCount,
                max_concurrent_jobs = options.MaxConcurrentJobs,
                started_at = _startedAt,
                git_sync = LastGitSync,
                version = typeof(Maintenance).Assembly.GetName().Version?.ToString(),
            });
            _heartbeatWritten = true; // set before: a write cut short may still have committed
            await store.RecordHeartbeatAsync(options.InstanceName, details, ct);
        }
        catch (StoreUnavailableException e)
        {
            LogChoreFailed(log, "heartbeat", e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rescued {Count} job(s) whose worker stopped renewing its lease")]
    private static partial void LogRescued(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} finished job(s) and old event(s) past their retention")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} heartbeat row(s) of orchestrators silent for over {Seconds}s (stopped without a clean shutdown)")]
    private static partial void LogHeartbeatsPruned(ILogger logger, int count, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Orchestrator {Chore} failed: {Reason}")]
    private static partial void LogChoreFailed(ILogger logger, string chore, string reason);
}
