using System.Collections.Concurrent;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Routing;

namespace AgentFactory.Orchestration;

/// <summary>
/// The claim loop (the producer; <see cref="JobExecutor"/> runs an attempt, <see cref="JobCompleter"/>
/// writes its outcome). Claims up to MAX_CONCURRENT_JOBS, runs each on its agent under a lease it renews,
/// and wakes on new work at once (the queue signal) or every TICK_INTERVAL_SECONDS. On stop it claims
/// nothing more, lets running jobs finish for SHUTDOWN_GRACE_SECONDS, then hands the rest back.
/// MAX_CONCURRENT_JOBS bounds the agents running: a slot is free again when its agent returns, while
/// the outcome is still being written and notified (the lease is renewed until then), so a slow
/// commit or chat API never idles a slot. At most as many again may be in that last stage.
/// </summary>
public sealed partial class Orchestrator(
    IWorkerStore store,
    QueueSignal signal,
    JobExecutor executor,
    JobCompleter completer,
    RoutingConfig routing,
    AgentFactoryOptions options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<Orchestrator> log) : BackgroundService
{
    private readonly ConcurrentDictionary<long, RunningJob> _running = new();
    private readonly ConcurrentDictionary<long, Task> _tasks = new();
    private int _agentsRunning;

    public string Owner => options.InstanceName;

    /// <summary>Agents running now (what MAX_CONCURRENT_JOBS bounds).</summary>
    public int RunningCount => Volatile.Read(ref _agentsRunning);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Claim nothing until the whole process is up: if another part fails to start (the port is
        // taken), no job is left holding a lease of a process that is about to exit.
        if (!await HostStart.WaitAsync(lifetime, stoppingToken)) return;
        LogStarted(log, Owner, options.MaxConcurrentJobs, options.TickInterval.TotalSeconds);
        using var renewStop = new CancellationTokenSource();
        var renewing = Task.Run(() => RenewLoopAsync(renewStop.Token), CancellationToken.None);
        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var free = Math.Min(options.MaxConcurrentJobs - RunningCount, 2 * options.MaxConcurrentJobs - _running.Count);
                var claimed = 0;
                if (free > 0)
                {
                    try
                    {
                        var jobs = await store.ClaimAsync(Owner, free, options.JobLease, stoppingToken);
                        failures = 0;
                        foreach (var job in jobs) Start(job);
                        claimed = jobs.Count;
                    }
                    catch (StoreUnavailableException e)
                    {
                        failures++;
                        var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(failures, 5))));
                        LogStoreDown(log, e.Message, delay.TotalSeconds);
                        await signal.WaitAsync(delay, time, stoppingToken);
                        continue;
                    }
                }
                if (claimed > 0 && claimed == free) continue;
                await signal.WaitAsync(options.TickInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        await DrainAsync();
        await renewStop.CancelAsync();
        await renewing;
    }

    /// <summary>
    /// Settings resolved at claim (the agent and the timeout) come from this process's routing; those
    /// frozen at ingest (max attempts) are on the row. See <see cref="RoutingConfig.SettingsFor"/>.
    /// </summary>
    private void Start(JobRecord job)
    {
        var settings = routing.SettingsFor(job.JobType);
#pragma warning disable CA2000 // owned by the RunningJob, disposed when the attempt ends
        var running = new RunningJob(job, settings, new CancellationTokenSource(settings.Timeout, time));
#pragma warning restore CA2000
        _running[job.Id] = running;
        Interlocked.Increment(ref _agentsRunning);
        _tasks[job.Id] = Task.Run(() => RunAsync(running));
    }

    private async Task RunAsync(RunningJob running)
    {
        var started = time.GetTimestamp();
        AttemptOutcome outcome;
        try
        {
            outcome = await executor.RunAsync(running);
        }
        finally
        {
            // The agent is done: its slot can take the next job while the outcome is written below.
            Interlocked.Decrement(ref _agentsRunning);
            signal.Notify();
        }
        try
        {
            if (await completer.CompleteAsync(running.Job, outcome, time.GetElapsedTime(started)) is { } retryAt) WakeAt(retryAt);
        }
        finally
        {
            _running.TryRemove(running.Job.Id, out _);
            _tasks.TryRemove(running.Job.Id, out _);
            running.Cancellation.Dispose();
            signal.Notify();
        }
    }

    /// <summary>A retry due before the next tick should not wait for it.</summary>
    private void WakeAt(DateTimeOffset at)
    {
        var delay = at - time.GetUtcNow();
        if (delay >= options.TickInterval) return;
        _ = Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, time).ContinueWith(_ => signal.Notify(), TaskScheduler.Default);
    }

    /// <summary>
    /// Renews every running lease each third of the lease; a job whose lease is gone (cancelled, or rescued) is
    /// stopped. A cancellation this process hears of (a superseding job, an operator's cancel; NOTIFY from other
    /// instances) renews at once, so a superseded agent stops within milliseconds instead of at the next renewal.
    /// </summary>
    private async Task RenewLoopAsync(CancellationToken ct)
    {
        var interval = options.JobLease / 3;
        var next = time.GetUtcNow() + interval;
        try
        {
            while (true)
            {
                // A fixed cadence, as a periodic timer keeps it: a slow renewal does not push the next one back.
                var wait = next - time.GetUtcNow();
                var woken = wait > TimeSpan.Zero && await signal.WaitLeasesChangedAsync(wait, time, ct);
                if (!woken)
                {
                    var now = time.GetUtcNow();
                    next = next + interval > now ? next + interval : now + interval;
                }
                var snapshot = _running.ToArray();
                if (snapshot.Length == 0) continue;
                try
                {
                    // One statement answers every lease: held, cancelled by an operator, or lost.
                    var states = await store.RenewLeasesAsync([.. snapshot.Select(r => r.Value.Lease)], options.JobLease, ct);
                    foreach (var (id, job) in snapshot)
                    {
                        var state = states.TryGetValue(id, out var s) ? s : LeaseState.Lost;
                        if (state != LeaseState.Held) job.Stop(state == LeaseState.Cancelled ? AttemptEnd.Cancelled : AttemptEnd.LeaseLost);
                    }
                }
                catch (StoreUnavailableException e)
                {
                    LogRenewFailed(log, e.Message);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task DrainAsync()
    {
        if (_tasks.IsEmpty) return;
        LogDraining(log, _tasks.Count, options.ShutdownGrace.TotalSeconds);
        var all = Task.WhenAll(_tasks.Values);
        await Task.WhenAny(all, Task.Delay(options.ShutdownGrace, time));
        if (!all.IsCompleted)
        {
            foreach (var job in _running.Values) job.Stop(AttemptEnd.ShuttingDown);
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(10), time));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Orchestrator {Owner} started: up to {Max} jobs at once, fallback poll every {Tick}s")]
    private static partial void LogStarted(ILogger logger, string owner, int max, double tick);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue database unavailable ({Reason}); retrying in {Delay}s")]
    private static partial void LogStoreDown(ILogger logger, string reason, double delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease renewal failed: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: waiting up to {Grace}s for {Count} running job(s)")]
    private static partial void LogDraining(ILogger logger, int count, double grace);
}
