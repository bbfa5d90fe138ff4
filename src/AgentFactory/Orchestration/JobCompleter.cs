using AgentFactory.Jobs;
using AgentFactory.Observability;
using AgentFactory.Queue;

namespace AgentFactory.Orchestration;

/// <summary>
/// Turns an attempt's outcome into the job's next state: asks <see cref="OutcomePolicy"/> for the
/// verdict, writes it fenced on the lease (retrying while the database is briefly away), and tells the
/// notifier when the job ended for good. Returns when a retry is due, so the claim loop can wake for it.
/// The agent's error and output are redacted (<see cref="SecretRedactor"/>) before any of that: a token
/// an agent printed reaches neither the row, the log nor a notice.
/// </summary>
public sealed partial class JobCompleter(
    IWorkerStore store, OutcomePolicy policy, IJobNotifier notifier, TimeProvider time, AgentFactoryMetrics metrics, SecretRedactor redactor, ILogger<JobCompleter> log,
    Tracking.IJobLifecycle? lifecycle = null)
{
    public async Task<DateTimeOffset?> CompleteAsync(JobRecord job, AttemptOutcome outcome, TimeSpan elapsed)
    {
        outcome = outcome with { Error = redactor.RedactOrNull(outcome.Error), Output = redactor.RedactOrNull(outcome.Output) };
        var verdict = policy.Decide(job, outcome.End, time.GetUtcNow());
        var written = await WriteBackAsync(job, verdict, outcome.Error, outcome.Output);
        metrics.JobFinished(job.JobType, outcome.End == AttemptEnd.Succeeded ? "completed" : outcome.End == AttemptEnd.Refused ? "refused" : verdict.Decision switch
        {
            Decision.Retry => "retried",
            Decision.Fail => "failed",
            Decision.Release => "released",
            _ => outcome.End == AttemptEnd.Cancelled ? "cancelled" : "lease_lost",
        }, elapsed);
        LogJobEnded(log, job.Id, job.JobType, job.Attempt, outcome.End, verdict.Decision, elapsed.TotalMilliseconds, outcome.Error ?? "");
        if (lifecycle is not null) await lifecycle.AttemptEndedAsync(job, outcome, verdict); // the tracking comment; never throws
        // A refused trigger is not told: whoever may send the events must not be able to flood the channels.
        // An outcome the store refused (the job was cancelled or superseded, or another instance holds it) is not told either: it did not happen.
        if (written && verdict.Decision is Decision.Complete or Decision.Fail && outcome.End != AttemptEnd.Refused)
        {
            var status = verdict.Decision == Decision.Complete ? JobStatus.Completed : JobStatus.Failed;
            await notifier.JobEndedAsync(job, new JobEnding(status, outcome.Error, outcome.Output), CancellationToken.None);
        }
        return verdict.RetryAt;
    }

    /// <summary>Writes the verdict, retrying while the database is briefly unreachable. If it stays down, the lease expires and the job is rescued.</summary>
    private async Task<bool> WriteBackAsync(JobRecord job, Verdict verdict, string? error, string? output)
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
                return held;
            }
            catch (StoreUnavailableException e) when (attempt < 5)
            {
                LogWriteBackRetry(log, job.Id, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(attempt), time);
            }
            catch (StoreUnavailableException e)
            {
                LogWriteBackGaveUp(log, job.Id, e.Message);
                return false;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ({JobType}) attempt {Attempt} ended {End} → {Decision} in {ElapsedMs:F0} ms {Error}")]
    private static partial void LogJobEnded(ILogger logger, long jobId, string jobType, int attempt, AttemptEnd end, Decision decision, double elapsedMs, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt}: lease no longer held (cancelled or rescued); result not written")]
    private static partial void LogLeaseLost(ILogger logger, long jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: could not write the result yet ({Reason}); retrying")]
    private static partial void LogWriteBackRetry(ILogger logger, long jobId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: could not write the result ({Reason}); its lease will expire and it will be retried")]
    private static partial void LogWriteBackGaveUp(ILogger logger, long jobId, string reason);
}
