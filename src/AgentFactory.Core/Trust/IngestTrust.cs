using System.Text.Json;
using AgentFactory.Routing;

namespace AgentFactory.Trust;

/// <summary>
/// Ingest's part of who may start agent work: the checks that need no call to GitHub (a bot or the
/// service's own account as sender, a fork's pull request for an agent that runs repository code) are
/// applied before the delivery is stored, so a refused job is never created and the refusal is written
/// with the delivery in the same transaction. The sender's permission is checked by the orchestrator
/// (AgentFactory.Agents.Trust.TrustGate), which can wait for GitHub without holding up the answer to it.
/// </summary>
public static class IngestTrust
{
    /// <summary>The routed jobs that may be created, and the refusal lines (one per job type) for the others; null when none was refused.</summary>
    public static (IReadOnlyList<RoutedJob> Kept, string? Refusal) Filter(
        IReadOnlyList<RoutedJob> routed, string eventType, JsonElement payload, RoutingConfig routing, IReadOnlyCollection<string> serviceLogins)
    {
        if (routed.Count == 0) return (routed, null);
        var kept = new List<RoutedJob>(routed.Count);
        var refusals = new List<string>();
        foreach (var job in routed)
        {
            var verdict = TriggerPolicy.Evaluate(eventType, payload, job.JobType, routing.SettingsFor(job.JobType), routing, serviceLogins);
            if (verdict.Decision == TriggerDecision.Refused) refusals.Add(verdict.Reason!);
            else kept.Add(job);
        }
        return (kept, refusals.Count == 0 ? null : string.Join('\n', refusals));
    }
}
