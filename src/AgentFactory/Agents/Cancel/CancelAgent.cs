using System.Text.Json;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Routing;

namespace AgentFactory.Agents.Cancel;

/// <summary>
/// The built-in "cancel" agent, behind the <c>/cancel</c> comment command: cancels the pending and running jobs
/// about the same issue or pull request of the same repository that were queued before it, through the store's
/// cancel (as the dashboard's Cancel button does). It runs after the trust gate like any agent, so only a sender
/// with the job type's permission cancels anything. Other /cancel jobs are left alone.
/// </summary>
public sealed partial class CancelAgent(string name, IOperatorViews store, QueueSignal signal, ILogger<CancelAgent> log) : IAgent
{
    private const int Page = 200;

    public string Name { get; } = name;

    public async Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
    {
        var repository = job.PayloadString("repository.full_name")
            ?? throw new PermanentAgentException($"Agent '{Name}' cancels an issue's or pull request's jobs: the job payload has no repository.full_name.");
        var number = CommentRouting.NumberOf(job.Payload)
            ?? throw new PermanentAgentException($"Agent '{Name}' cancels an issue's or pull request's jobs: the job payload has no issue.number or pull_request.number.");
        var cancelled = new List<long>();
        foreach (var status in new[] { JobStatus.Running, JobStatus.Pending })
        {
            long before = job.Id; // only jobs queued before this command
            while (true)
            {
                var page = await store.ListJobsAsync(new JobQuery(Status: status, Limit: Page, BeforeId: before, Search: repository), ct);
                foreach (var other in page)
                    if (IsAbout(other, repository, number) && await store.CancelJobAsync(other.Id, ct)) cancelled.Add(other.Id);
                if (page.Count < Page) break;
                before = page.Min(j => j.Id);
            }
        }
        if (cancelled.Count > 0) signal.NotifyLeasesChanged(); // this instance's running agents stop now; others at their next renewal
        LogCancelled(log, job.Id, repository, number, cancelled.Count);
        cancelled.Sort();
        return AgentResult.Success(cancelled.Count == 0
            ? $"Nothing to cancel: no pending or running job for {repository}#{number}."
            : $"Cancelled {cancelled.Count} job{(cancelled.Count == 1 ? "" : "s")} for {repository}#{number}: {string.Join(", ", cancelled)}.");
    }

    /// <summary>Same repository (any case) and number, and not another /cancel.</summary>
    private static bool IsAbout(JobRecord job, string repository, long number)
    {
        var other = new AgentJob(job);
        return string.Equals(other.PayloadString("repository.full_name"), repository, StringComparison.OrdinalIgnoreCase)
            && CommentRouting.NumberOf(other.Payload) == number
            && other.PayloadString($"{CommentCommand.PayloadField}.command") != "cancel";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: /cancel on {Repository}#{Number} cancelled {Count} job(s)")]
    private static partial void LogCancelled(ILogger logger, long jobId, string repository, long number, int count);
}

/// <summary>The store and signal are absent where agents are only checked (agentfactory doctor); the agent runs only in the service.</summary>
public sealed class CancelAgentKind(ILogger<CancelAgent> log, IJobStore? store = null, QueueSignal? signal = null) : IAgentKind
{
    public string Kind => "cancel";

    public IAgent Create(string name, JsonElement settings) => new CancelAgent(name, store!, signal ?? new QueueSignal(), log);
}
