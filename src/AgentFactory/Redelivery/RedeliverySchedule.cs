using AgentFactory.Queue;

namespace AgentFactory.Redelivery;

/// <summary>
/// Asks GitHub to redeliver missed deliveries of REDELIVER_TARGETS every REDELIVER_INTERVAL_MINUTES,
/// starting at start-up (an orchestrator that was down catches up first). One instance at a time
/// does a pass (the store's exclusive-run lock); the others skip it. A failing pass is
/// logged and the loop goes on.
/// </summary>
public sealed partial class RedeliverySchedule(
    RedeliverySettings settings, Redeliverer redeliverer, IMaintenanceStore store, TimeProvider time, ILogger<RedeliverySchedule> log) : BackgroundService
{
    private const long LockKey = 7262003;

    /// <summary>Completed passes (whatever their outcome), for tests and diagnostics.</summary>
    public int Passes { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.Enabled) return;
        LogEnabled(log, settings.Interval.TotalMinutes, string.Join(", ", settings.Targets));
        using var timer = new PeriodicTimer(settings.Interval, time);
        try
        {
            do
            {
                try
                {
                    if (!await store.TryRunExclusiveAsync(LockKey, PassAsync, stoppingToken)) LogSkipped(log);
                }
                catch (StoreUnavailableException e)
                {
                    LogFailed(log, "all", e.Message);
                }
                Passes++;
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private async Task PassAsync(CancellationToken ct)
    {
        foreach (var target in settings.Targets)
        {
            try
            {
                var report = await redeliverer.RunAsync(target, time.GetUtcNow() - settings.Lookback, dryRun: false, progress: null, ct);
                if (report.Missed.Count > 0) LogPass(log, target.ToString(), report.Scanned, report.Missed.Count, report.Redelivered);
                foreach (var failure in report.Failures) LogFailed(log, target.ToString(), failure);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogFailed(log, target.ToString(), e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redelivery every {Minutes} min for {Targets}")]
    private static partial void LogEnabled(ILogger logger, double minutes, string targets);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redelivery {Target}: {Scanned} deliveries read, {Missed} missed, {Redelivered} redelivered")]
    private static partial void LogPass(ILogger logger, string target, int scanned, int missed, int redelivered);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redelivery {Target} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string target, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Redelivery pass skipped: another instance holds the lock")]
    private static partial void LogSkipped(ILogger logger);
}
