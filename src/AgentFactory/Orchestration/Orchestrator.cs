using System.Collections.Concurrent;
using AgentFactory.Agents;
using AgentFactory.Jobs;
using AgentFactory.Observability;
using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentFactory.Orchestration;

/// <summary>
/// The claim loop. Claims up to MAX_CONCURRENT_JOBS, runs each on its agent under a lease it renews,
/// and wakes on new work at once (the queue signal) or every TICK_INTERVAL_SECONDS. On stop it claims
/// nothing more, lets running jobs finish for SHUTDOWN_GRACE_SECONDS, then hands the rest back.
/// MAX_CONCURRENT_JOBS bounds the agents running: a slot is free again when its agent returns, while
/// the outcome is still being written and notified (the lease is renewed until then), so a slow
/// commit or chat API never idles a slot. At most as many again may be in that last stage.
/// </summary>
public sealed partial class Orchestrator(
    IJobStore store,
    QueueSignal signal,
    AgentCatalog agents,
    RoutingConfig routing,
    OutcomePolicy policy,
    AgentFactoryOptions options,
    IJobNotifier notifier,
    TimeProvider time,
    AgentFactoryMetrics metrics,
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
        using (var started = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStarted, stoppingToken))
        {
            try { await Task.Delay(Timeout.Infinite, started.Token); }
            catch (OperationCanceledException) { }
        }
        if (stoppingToken.IsCancellationRequested) return;
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

    private void Start(JobRecord job)
    {
        var settings = routing.SettingsFor(job.JobType);
        var running = new RunningJob(job.Lease, new CancellationTokenSource(settings.Timeout, time));
        _running[job.Id] = running;
        Interlocked.Increment(ref _agentsRunning);
        _tasks[job.Id] = Task.Run(() => RunAsync(job, settings, running));
    }

    private async Task RunAsync(JobRecord job, JobTypeSettings settings, RunningJob running)
    {
        var started = time.GetTimestamp();
        AttemptEnd end;
        string? error = null, output = null;
        try
        {
            LogJobStarted(log, job.Id, job.JobType, job.Attempt, job.MaxAttempts, settings.Agent);
            metrics.JobStarted(job.JobType, (job.StartedAt ?? time.GetUtcNow()) - job.ScheduledAt);
            var result = await agents.Get(settings.Agent).RunAsync(new AgentJob(job), running.Cancellation.Token);
            end = result.Succeeded ? AttemptEnd.Succeeded : AttemptEnd.Failed;
            error = result.Error;
            output = result.Output;
        }
        catch (OperationCanceledException) when (running.Cancellation.IsCancellationRequested)
        {
            end = running.Reason ?? AttemptEnd.TimedOut;
            error = end == AttemptEnd.TimedOut ? $"timed out after {settings.Timeout} (jobs.{job.JobType}.timeout)" : end.ToString();
        }
        catch (PermanentAgentException e)
        {
            end = AttemptEnd.PermanentFailure;
            error = e.Message;
        }
        catch (Exception e)
        {
            end = AttemptEnd.Failed;
            error = $"{e.GetType().Name}: {e.Message}";
        }
        finally
        {
            // The agent is done: its slot can take the next job while the outcome is written below.
            Interlocked.Decrement(ref _agentsRunning);
            signal.Notify();
        }

        var verdict = policy.Decide(job, end, time.GetUtcNow());
        var elapsed = time.GetElapsedTime(started);
        try
        {
            await WriteBackAsync(job, verdict, error, output);
            if (verdict.RetryAt is { } retryAt) WakeAt(retryAt);
            metrics.JobFinished(job.JobType, end == AttemptEnd.Succeeded ? "completed" : verdict.Decision switch
            {
                Decision.Retry => "retried",
                Decision.Fail => "failed",
                Decision.Release => "released",
                _ => end == AttemptEnd.Cancelled ? "cancelled" : "lease_lost",
            }, elapsed);
            LogJobEnded(log, job.Id, job.JobType, job.Attempt, end, verdict.Decision, elapsed.TotalMilliseconds, error ?? "");
            if (verdict.Decision is Decision.Complete or Decision.Fail)
                await notifier.JobEndedAsync(job, new JobEnding(verdict.Decision == Decision.Complete ? JobStatus.Completed : JobStatus.Failed, error, output), CancellationToken.None);
        }
        finally
        {
            _running.TryRemove(job.Id, out _);
            _tasks.TryRemove(job.Id, out _);
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

    /// <summary>Writes the verdict, retrying while the database is briefly unreachable. If it stays down, the lease expires and the job is rescued.</summary>
    private async Task WriteBackAsync(JobRecord job, Verdict verdict, string? error, string? output)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var held = verdict.Decision switch
                {
                    Decision.Complete => await store.CompleteAsync(job.Lease, output, CancellationToken.None),
                    Decision.Retry => await store.FailAsync(job.Lease, new JobFailure(error ?? "failed", output, verdict.RetryAt), CancellationToken.None),
                    Decision.Fail => await store.FailAsync(job.Lease, new JobFailure(error ?? "failed", output, null), CancellationToken.None),
                    Decision.Release => await store.ReleaseAsync(job.Lease, CancellationToken.None),
                    _ => true,
                };
                if (!held) LogLeaseLost(log, job.Id, job.Attempt);
                return;
            }
            catch (StoreUnavailableException e) when (attempt < 5)
            {
                LogWriteBackRetry(log, job.Id, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(attempt), time);
            }
            catch (StoreUnavailableException e)
            {
                LogWriteBackGaveUp(log, job.Id, e.Message);
                return;
            }
        }
    }

    /// <summary>Renews every running lease each third of the lease; a job whose lease is gone (cancelled, or rescued) is stopped.</summary>
    private async Task RenewLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.JobLease / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var snapshot = _running.ToArray();
                if (snapshot.Length == 0) continue;
                try
                {
                    var held = await store.RenewLeasesAsync([.. snapshot.Select(r => r.Value.Lease)], options.JobLease, ct);
                    foreach (var (id, job) in snapshot.Where(r => !held.Contains(r.Key)))
                    {
                        var row = await store.GetJobAsync(id, ct);
                        job.Stop(row?.Status == JobStatus.Cancelled ? AttemptEnd.Cancelled : AttemptEnd.LeaseLost);
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

    private sealed class RunningJob(JobLease lease, CancellationTokenSource cancellation)
    {
        public JobLease Lease { get; } = lease;
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public AttemptEnd? Reason { get; private set; }

        public void Stop(AttemptEnd reason)
        {
            Reason ??= reason;
            try { Cancellation.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Orchestrator {Owner} started: up to {Max} jobs at once, fallback poll every {Tick}s")]
    private static partial void LogStarted(ILogger logger, string owner, int max, double tick);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue database unavailable ({Reason}); retrying in {Delay}s")]
    private static partial void LogStoreDown(ILogger logger, string reason, double delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ({JobType}) attempt {Attempt}/{Max} started on agent {Agent}")]
    private static partial void LogJobStarted(ILogger logger, long jobId, string jobType, int attempt, int max, string agent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ({JobType}) attempt {Attempt} ended {End} → {Decision} in {ElapsedMs:F0} ms {Error}")]
    private static partial void LogJobEnded(ILogger logger, long jobId, string jobType, int attempt, AttemptEnd end, Decision decision, double elapsedMs, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt}: lease no longer held (cancelled or rescued); result not written")]
    private static partial void LogLeaseLost(ILogger logger, long jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: could not write the result yet ({Reason}); retrying")]
    private static partial void LogWriteBackRetry(ILogger logger, long jobId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: could not write the result ({Reason}); its lease will expire and it will be retried")]
    private static partial void LogWriteBackGaveUp(ILogger logger, long jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease renewal failed: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: waiting up to {Grace}s for {Count} running job(s)")]
    private static partial void LogDraining(ILogger logger, int count, double grace);
}
