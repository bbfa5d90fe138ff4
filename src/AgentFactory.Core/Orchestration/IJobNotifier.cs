using AgentFactory.Jobs;

namespace AgentFactory.Orchestration;

/// <summary>How a job ended for good: completed or failed (retries exhausted or permanent).</summary>
public sealed record JobEnding(JobStatus Status, string? Error, string? Output);

/// <summary>
/// Told once per job, after the orchestrator has written its final verdict. Implementations never
/// throw and bound their own time: telling people about a job must not change the job.
/// </summary>
public interface IJobNotifier
{
    Task JobEndedAsync(JobRecord job, JobEnding ending, CancellationToken ct);
}
