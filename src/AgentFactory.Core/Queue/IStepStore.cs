using AgentFactory.Jobs;

namespace AgentFactory.Queue;

/// <summary>
/// The transcript of a job: every model turn and tool call its agent made, in order, across attempts,
/// kept with the job in the queue database so a run can be read live, audited later and resumed after
/// a crash from where it stopped.
/// </summary>
public interface IStepStore
{
    /// <summary>
    /// Appends a step at the job's next index (1, 2, …; numbering goes on across attempts), only while
    /// <paramref name="lease"/> still holds the job: a stale worker writes nothing and gets null.
    /// </summary>
    Task<int?> AppendStepAsync(JobLease lease, NewJobStep step, CancellationToken ct);

    /// <summary>The job's steps with an index above <paramref name="afterIndex"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<JobStep>> ListStepsAsync(long jobId, int afterIndex, int limit, CancellationToken ct);

    /// <summary>What the job's steps used in all: model turns, tokens and cost; zero when it has none.</summary>
    Task<JobUsage> GetJobUsageAsync(long jobId, CancellationToken ct);
}
