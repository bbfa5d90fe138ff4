using System.Collections.Concurrent;
using AgentFactory.Jobs;
using AgentFactory.Queue;

namespace AgentFactory.Orchestration.Tracking;

/// <summary>How often a tracking comment is brought up to date (and a job waiting for its retry is looked at).</summary>
public sealed record TrackingProgressSettings(TimeSpan Interval)
{
    public static TrackingProgressSettings Default { get; } = new(TimeSpan.FromSeconds(10));
}

/// <summary>
/// The two things a tracking comment must follow between an attempt's start and its end, which no lifecycle call
/// reports: the steps an agent records while it runs (the comment's checklist, edited at most once per interval
/// and only when there are new steps), and a job waiting for its retry that is cancelled or superseded before it
/// runs again (the comment must not keep saying "retried at …"). Only this process's jobs are followed: a job
/// cancelled while waiting, after the instance that ran it restarted, keeps its last comment.
/// </summary>
public sealed partial class TrackingProgress(IJobStore store, TimeProvider time, TrackingProgressSettings settings, ILogger<TrackingProgress> log) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, (CancellationTokenSource Stop, Task Loop)> _running = new();

    /// <summary>The steps of the job's current attempt, oldest first.</summary>
    public async Task<IReadOnlyList<JobStep>> StepsAsync(JobRecord job, CancellationToken ct) =>
        [.. (await store.ListStepsAsync(job.Id, 0, 10_000, ct)).Where(s => s.Attempt == job.Attempt)];

    /// <summary>While the attempt runs: every interval, when it recorded new steps, <paramref name="write"/> them.</summary>
    public Task FollowAsync(JobRecord job, Func<IReadOnlyList<JobStep>, Task> write) =>
        StartAsync(job.Id, async stop =>
        {
            var shown = 0;
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(settings.Interval, time, stop);
                var steps = await StepsAsync(job, stop);
                if (steps.Count == shown) continue;
                shown = steps.Count;
                await write(steps);
            }
        });

    /// <summary>While the job waits for its retry: when its row says cancelled, <paramref name="cancelled"/> once; stops when it runs again or ends otherwise.</summary>
    public Task WatchAsync(JobRecord job, Func<JobRecord, Task> cancelled) =>
        StartAsync(job.Id, async stop =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(settings.Interval, time, stop);
                var row = await store.GetJobAsync(job.Id, stop);
                if (row is null || row.Status is JobStatus.Running or JobStatus.Completed or JobStatus.Failed) return;
                if (row.Status != JobStatus.Cancelled) continue;
                await cancelled(row);
                return;
            }
        });

    /// <summary>Stops following the job and waits until its loop has stopped, so no edit lands after the next one.</summary>
    public async Task StopAsync(long jobId)
    {
        if (!_running.TryRemove(jobId, out var entry)) return;
        await entry.Stop.CancelAsync();
        await entry.Loop;
        entry.Stop.Dispose();
    }

    /// <summary>At shutdown: every loop stops before the store it reads is disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var id in _running.Keys) await StopAsync(id);
    }

    private async Task StartAsync(long jobId, Func<CancellationToken, Task> loop)
    {
        await StopAsync(jobId);
        var stop = new CancellationTokenSource();
        var task = Task.Run(async () =>
        {
            try
            {
                await loop(stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                LogFailed(log, jobId, e.Message); // never the job's failure
            }
        });
        if (!_running.TryAdd(jobId, (stop, task))) await stop.CancelAsync(); // followed already (cannot happen: one attempt at a time)
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: following it for its tracking comment stopped: {Reason}")]
    private static partial void LogFailed(ILogger logger, long jobId, string reason);
}
