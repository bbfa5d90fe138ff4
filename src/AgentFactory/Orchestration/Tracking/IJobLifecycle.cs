using AgentFactory.Jobs;
using AgentFactory.Routing;

namespace AgentFactory.Orchestration.Tracking;

/// <summary>
/// Told when an attempt's agent starts (after the trust gate said yes) and when the attempt's outcome has been
/// written. Implementations never throw and bound their own time: watching a job must not change it.
/// </summary>
public interface IJobLifecycle
{
    Task AttemptStartedAsync(JobRecord job, JobTypeSettings settings);

    Task AttemptEndedAsync(JobRecord job, AttemptOutcome outcome, Verdict verdict);
}
