using AgentFactory.Agents;
using AgentFactory.Agents.Trust;
using AgentFactory.Jobs;
using AgentFactory.Observability;
using AgentFactory.Routing;

namespace AgentFactory.Orchestration;

/// <summary>How one attempt's agent call ended, before anything is written.</summary>
public sealed record AttemptOutcome(AttemptEnd End, string? Error, string? Output);

/// <summary>
/// A claimed job while its agent runs: its lease and the token that stops it (timeout, an operator's
/// cancel, a lost lease, shutdown). The first reason given wins.
/// </summary>
public sealed class RunningJob(JobRecord job, JobTypeSettings settings, CancellationTokenSource cancellation)
{
    public JobRecord Job { get; } = job;
    public JobTypeSettings Settings { get; } = settings;
    public JobLease Lease => Job.Lease;
    public CancellationTokenSource Cancellation { get; } = cancellation;
    public AttemptEnd? Reason { get; private set; }

    public void Stop(AttemptEnd reason)
    {
        Reason ??= reason;
        try { Cancellation.Cancel(); } catch (ObjectDisposedException) { }
    }
}

/// <summary>
/// Runs one attempt on its agent and says how it ended. Agent exceptions become outcomes here; the
/// retry, fail or complete decision is not made here (see <see cref="OutcomePolicy"/>). Before the agent,
/// <see cref="TrustGate"/> checks that the job's delivery may start it; if GitHub cannot answer that now,
/// the attempt fails like any other and is retried.
/// </summary>
public sealed partial class JobExecutor(AgentCatalog agents, TrustGate trust, TimeProvider time, AgentFactoryMetrics metrics, ILogger<JobExecutor> log,
    JobAgents? jobAgents = null, Tracking.IJobLifecycle? lifecycle = null)
{
    public async Task<AttemptOutcome> RunAsync(RunningJob running)
    {
        var job = running.Job;
        var settings = running.Settings;
        try
        {
            if (await trust.CheckAsync(job, settings, running.Cancellation.Token) is { } refusal)
                return new AttemptOutcome(AttemptEnd.Refused, refusal, null);
            LogJobStarted(log, job.Id, job.JobType, job.Attempt, job.MaxAttempts, settings.Agent);
            if (lifecycle is not null) await lifecycle.AttemptStartedAsync(job, settings); // the tracking comment; never throws
            metrics.JobStarted(job.JobType, (job.StartedAt ?? time.GetUtcNow()) - job.ScheduledAt);
            using var tracked = jobAgents?.Track(job.Id, settings.Agent); // the agent label of its model calls' metrics
            var result = await agents.Get(settings.Agent).RunAsync(new AgentJob(job), running.Cancellation.Token);
            return new AttemptOutcome(result.Succeeded ? AttemptEnd.Succeeded : AttemptEnd.Failed, result.Error, result.Output);
        }
        catch (OperationCanceledException) when (running.Cancellation.IsCancellationRequested)
        {
            var end = running.Reason ?? AttemptEnd.TimedOut;
            return new AttemptOutcome(end, end == AttemptEnd.TimedOut ? $"timed out after {settings.Timeout} (jobs.{job.JobType}.timeout)" : end.ToString(), null);
        }
        catch (PermanentAgentException e)
        {
            return new AttemptOutcome(AttemptEnd.PermanentFailure, e.Message, null);
        }
        catch (Exception e) when (IsBug(e))
        {
            // A programming error: its message means nothing to users; the stack is in the log.
            LogAgentBug(log, e, job.Id, settings.Agent);
            return new AttemptOutcome(AttemptEnd.Failed, $"Agent '{settings.Agent}' failed unexpectedly ({e.Message}); the service log has the details (job {job.Id}).", null);
        }
        catch (Exception e)
        {
            // The job's error is for users: the message alone, as the agent worded it, never a .NET type name.
            LogAgentThrew(log, e, job.Id, settings.Agent);
            return new AttemptOutcome(AttemptEnd.Failed, e.Message, null);
        }
    }

    private static bool IsBug(Exception e) =>
        e is NullReferenceException or ArgumentException or InvalidCastException or IndexOutOfRangeException
            or KeyNotFoundException or NotImplementedException or NotSupportedException or FormatException;

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: agent {Agent} failed unexpectedly")]
    private static partial void LogAgentBug(ILogger logger, Exception exception, long jobId, string agent);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId}: agent {Agent} failed")]
    private static partial void LogAgentThrew(ILogger logger, Exception exception, long jobId, string agent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ({JobType}) attempt {Attempt}/{Max} started on agent {Agent}")]
    private static partial void LogJobStarted(ILogger logger, long jobId, string jobType, int attempt, int max, string agent);
}
