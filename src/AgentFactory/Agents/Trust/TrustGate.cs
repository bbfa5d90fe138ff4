using AgentFactory.Events;
using AgentFactory.GitHub;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Routing;
using AgentFactory.Trust;

namespace AgentFactory.Agents.Trust;

/// <summary>
/// The orchestrator's check, after the claim and before the agent runs, that the job's delivery may start
/// it (<see cref="TriggerPolicy"/>, then GitHub's answer for the sender). Done here rather than at ingest
/// so that nothing acknowledged is lost: ingest answers GitHub without calling it, and when GitHub cannot
/// answer now the attempt fails and the queue retries it with backoff (fail closed: the agent never runs
/// without a yes). A refusal is kept on the delivery's webhook_events row and ends the job without retry.
/// Jobs with no GitHub delivery behind them (the manual trigger's token, `agentfactory trigger`) are the
/// operator's and are not checked.
/// </summary>
public sealed partial class TrustGate(RoutingConfig routing, ITriggerRefusalStore store, CollaboratorPermissions permissions, GitHubSettings github, ILogger<TrustGate> log)
{
    /// <summary>Null when the job may start; otherwise the refusal, already recorded on the delivery.</summary>
    public async Task<string?> CheckAsync(JobRecord job, JobTypeSettings settings, CancellationToken ct)
    {
        if (job.EventId is not { } eventId) return null;
        var eventType = await store.GetEventTypeAsync(eventId, ct);
        if (eventType is null || InternalEvents.IsReserved(eventType)) return null;
        var agentJob = new AgentJob(job);
        var verdict = TriggerPolicy.Evaluate(eventType, agentJob.Payload, job.JobType, settings, routing, github.ServiceLogins);
        var refusal = verdict.Decision switch
        {
            TriggerDecision.Allowed => null,
            TriggerDecision.Refused => verdict.Reason,
            _ => await AskGitHubAsync(agentJob, verdict, ct),
        };
        if (refusal is null) return null;
        LogRefused(log, job.Id, refusal);
        await store.RecordTriggerRefusalAsync(eventId, refusal, ct);
        return refusal;
    }

    private async Task<string?> AskGitHubAsync(AgentJob job, TriggerVerdict verdict, CancellationToken ct)
    {
        var (login, repository, required) = (verdict.Login!, verdict.Repository!, verdict.Required);
        var setting = $"jobs.{job.JobType}.permission";
        if (!github.Configured)
            return Line(job, $"{setting} requires {required.Name()}, and {login}'s permission cannot be checked without GitHub credentials: " +
                $"set GITHUB_TOKEN (or a GitHub App), or set {setting} to \"none\" if anyone may start it.");
        RepositoryAccess has;
        try
        {
            has = await permissions.GetAsync(job, repository, login, ct);
        }
        catch (PermanentAgentException e)
        {
            return Line(job, $"{login}'s permission on {repository} could not be checked ({e.Message}); {setting} requires {required.Name()}.");
        }
        return has >= required ? null
            : Line(job, $"{login} has {has.Name()} permission on {repository}, and {setting} requires {required.Name()}.");
    }

    private static string Line(AgentJob job, string why) => TriggerPolicy.Refuse(job.JobType, why).Reason!;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} refused: {Refusal}")]
    private static partial void LogRefused(ILogger logger, long jobId, string refusal);
}
