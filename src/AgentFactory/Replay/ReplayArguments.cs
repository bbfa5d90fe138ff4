using System.Text.Json;
using AgentFactory.Cli;
using AgentFactory.Models;
using AgentFactory.Routing;

namespace AgentFactory.Replay;

/// <summary>What `agentfactory replay` was asked to run, checked before anything is read.</summary>
public sealed record ReplayPlan(DateTimeOffset Since, string Event, string Agent, string AgentKind, JsonElement AgentSettings, string? Model, int Limit);

/// <summary>
/// Checks replay's flags, each problem named by its flag with the values it accepts, in the user's terms. Replay runs
/// agents of kind code_review and task (whose writes are GitHub API calls and git pushes, both captured). The coder is
/// refused for now: it keeps its transcript in the queue, which a replay must not change.
/// </summary>
public static class ReplayArguments
{
    /// <summary>The GitHub events replay reads from the queue database.</summary>
    public static readonly IReadOnlyList<string> Events =
        ["pull_request", "push", "issues", "issue_comment", "pull_request_review", "pull_request_review_comment", "release", "workflow_run"];

    /// <summary>The agent kinds replay can run, and the type that makes each (built alone: the other kinds may need the queue).</summary>
    public static readonly IReadOnlyDictionary<string, Type> KindTypes = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        ["code_review"] = typeof(Agents.CodeReview.CodeReviewAgentKind),
        ["task"] = typeof(Agents.Tasks.TaskAgentKind),
    };

    public static readonly IReadOnlyList<string> Kinds = [.. KindTypes.Keys];

    public const string DryRunRequired =
        "replay runs only as a dry run in this version: add --dry-run. Every GitHub write the agent makes is then captured into the report and none is sent.";

    public static string? CheckFlags(bool dryRun, string since, string? eventType, DateTimeOffset now, out DateTimeOffset from)
    {
        from = default;
        if (!dryRun) return DryRunRequired;
        if (RedeliverCommand.ParseSince(since, now) is not { } parsed)
            return $"--since must be a duration back from now like 30m, 24h or 7d, or a timestamp like 2026-01-02T03:00:00Z (got '{since}').";
        from = parsed;
        if (eventType is null) return $"--event is required: the GitHub event whose stored deliveries to replay, one of {string.Join(", ", Events)}.";
        if (!Events.Contains(eventType, StringComparer.Ordinal)) return $"--event must be one of {string.Join(", ", Events)} (got '{eventType}').";
        return null;
    }

    /// <summary>The agent named (or, by its kind, the one agent of that kind), or a message listing the agents replay can run.</summary>
    public static string? ResolveAgent(RoutingConfig routing, string? requested, out string name, out string kind, out JsonElement settings)
    {
        (name, kind, settings) = ("", "", default);
        var agents = routing.Agents.Select(a => (Name: a.Key, Kind: KindOf(a.Value), Settings: a.Value)).ToList();
        var runnable = agents.Where(a => Kinds.Contains(a.Kind, StringComparer.Ordinal)).Select(a => a.Name).ToList();
        var accepted = runnable.Count == 0
            ? $"the routing file has no agent of kind {string.Join(" or ", Kinds)}; define one under \"agents\" (see docs/replay.md)"
            : $"one of {string.Join(", ", runnable)} (an agent of kind {string.Join(" or ", Kinds)} from the routing file)";
        if (requested is null) return $"--agent is required: {accepted}.";
        var match = agents.FindIndex(a => a.Name == requested);
        if (match < 0)
        {
            var ofKind = agents.Where(a => a.Kind == requested).ToList();
            if (ofKind.Count == 1) match = agents.IndexOf(ofKind[0]);
            else return $"--agent must be {accepted} (got '{requested}').";
        }
        var agent = agents[match];
        if (!Kinds.Contains(agent.Kind, StringComparer.Ordinal))
            return $"--agent '{agent.Name}' is of kind {agent.Kind}, which replay cannot run yet (it keeps its transcript in the queue, which a replay never changes); use {accepted}.";
        (name, kind, settings) = agent;
        return null;
    }

    public static string? CheckModel(ModelCatalog catalog, string? model)
    {
        if (model is null || catalog.TryGet(model, out _)) return null;
        var names = catalog.Models.Select(m => m.Name).Order(StringComparer.Ordinal).ToList();
        return names.Count == 0
            ? $"--model '{model}' is not configured: no models are (add them under \"models\" in the routing file, or set LLM_MODEL for \"default\"; see docs/models.md)."
            : $"--model must be one of {string.Join(", ", names)} (the routing file's \"models\", and \"default\" from LLM_MODEL) (got '{model}').";
    }

    private static string KindOf(JsonElement agent) =>
        agent.ValueKind == JsonValueKind.Object && agent.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "";
}
