using System.Text.Json;
using AgentFactory.Routing;

namespace AgentFactory.Trust;

/// <summary>What <see cref="TriggerPolicy"/> decided for one job of one delivery.</summary>
public enum TriggerDecision
{
    /// <summary>The job may start: nothing to check, or the event itself proves the sender's permission.</summary>
    Allowed,
    /// <summary>The job must not start; <see cref="TriggerVerdict.Reason"/> says why, in the operator's terms.</summary>
    Refused,
    /// <summary>Only GitHub can say: ask it for <see cref="TriggerVerdict.Login"/>'s permission on <see cref="TriggerVerdict.Repository"/>.</summary>
    CheckSender,
}

public sealed record TriggerVerdict(TriggerDecision Decision, string? Reason = null, string? Login = null, string? Repository = null,
    RepositoryAccess Required = RepositoryAccess.None)
{
    public static readonly TriggerVerdict Allowed = new(TriggerDecision.Allowed);
}

/// <summary>
/// Who may start agent work (docs/security.md), decided from the delivery alone — no I/O, so ingest
/// applies it before a job exists and the orchestrator again before the agent runs (with its own routing):
/// <list type="number">
/// <item>a pull request from a fork never reaches an agent that runs repository code (any kind but log,
/// code_review, task and cancel), whatever its sender's permission;</item>
/// <item>a job type whose permission is "none" starts for anyone;</item>
/// <item>otherwise a bot (sender.type "Bot" or a login ending in "[bot]") or one of the service's own
/// accounts (GITHUB_SERVICE_LOGIN) starts nothing, so agents never trigger each other in a loop;</item>
/// <item>a sender the event proves to hold write (a push, a branch or tag created or deleted, a release, a
/// pull request opened or updated from the repository's own branch) needs no question to GitHub when
/// write is enough; everyone else's permission is asked of GitHub (<see cref="TriggerDecision.CheckSender"/>).</item>
/// </list>
/// </summary>
public static class TriggerPolicy
{
    /// <summary>Agent kinds that only read the event and post text; every other kind runs code from the repository.</summary>
    private static readonly HashSet<string> TextOnlyKinds = new(StringComparer.OrdinalIgnoreCase) { "log", "code_review", "task", "cancel" };

    /// <summary>Pull request actions only someone with write access to the repository's branches causes (opened from one of them, or updated).</summary>
    private static readonly HashSet<string> BranchActions = new(StringComparer.Ordinal) { "opened", "synchronize", "reopened", "closed" };

    public static TriggerVerdict Evaluate(string eventType, JsonElement payload, string jobType, JobTypeSettings settings, RoutingConfig routing, IReadOnlyCollection<string> serviceLogins)
    {
        var kind = KindOf(routing, settings.Agent);
        var required = RequiredPermission(settings, kind);
        var repository = Router.Str(payload, "repository", "full_name");

        if (ForkHead(payload, repository) is { } fork && !TextOnlyKinds.Contains(kind))
            return Refuse(jobType, $"pull request #{Number(payload)} comes from the fork {fork}, and agent '{settings.Agent}' ({kind}) runs the repository's code; " +
                "code from a fork never runs with the service's credentials. Review the change and push it to a branch of the repository to run it.");
        if (required == RepositoryAccess.None) return TriggerVerdict.Allowed;

        var login = Router.Str(payload, "sender", "login");
        if (string.IsNullOrEmpty(login))
            return Refuse(jobType, $"the event names no sender (sender.login), and jobs.{jobType}.permission requires {required.Name()}.");
        if (IsBot(payload, login))
            return Refuse(jobType, $"the sender {login} is a bot; bots never start agent work (no loops). Set jobs.{jobType}.permission to \"none\" to let anyone, bots included, start it.");
        if (serviceLogins.Contains(login, StringComparer.OrdinalIgnoreCase))
            return Refuse(jobType, $"the sender {login} is the service's own account (GITHUB_SERVICE_LOGIN); its own actions never start agent work (no loops).");
        if (ProvenByEvent(eventType, payload, repository) >= required) return TriggerVerdict.Allowed;
        if (string.IsNullOrEmpty(repository))
            return Refuse(jobType, $"the event names no repository (repository.full_name) to check {login}'s permission on.");
        return new TriggerVerdict(TriggerDecision.CheckSender, Login: login, Repository: repository, Required: required);
    }

    /// <summary>The job type's permission setting, else none for the log agent and write for every other.</summary>
    public static RepositoryAccess RequiredPermission(JobTypeSettings settings, string kind) =>
        RepositoryPermissions.TryParse(settings.Permission, out var p) ? p
        : string.Equals(kind, "log", StringComparison.OrdinalIgnoreCase) ? RepositoryAccess.None
        : RepositoryAccess.Write;

    /// <summary>The "kind" of the named agent; a name with no definition is a built-in of that kind ("log").</summary>
    public static string KindOf(RoutingConfig routing, string agent) =>
        routing.Agents.TryGetValue(agent, out var s) && s.ValueKind == JsonValueKind.Object && s.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String
            ? k.GetString()! : agent;

    public static bool RunsRepositoryCode(string kind) => !TextOnlyKinds.Contains(kind);

    /// <summary>The refusal line kept on the delivery: the job type, then why.</summary>
    public static TriggerVerdict Refuse(string jobType, string why) => new(TriggerDecision.Refused, $"{jobType}: not started: {why}");

    /// <summary>
    /// GitHub's own rule for bots: apps act as "name[bot]" with type "Bot". A user cannot register a login
    /// with brackets, so the suffix cannot be borrowed; either sign is enough.
    /// </summary>
    private static bool IsBot(JsonElement payload, string login) =>
        string.Equals(Router.Str(payload, "sender", "type"), "Bot", StringComparison.OrdinalIgnoreCase)
        || login.EndsWith("[bot]", StringComparison.OrdinalIgnoreCase);

    /// <summary>The head repository of a pull request from a fork ("(deleted fork)" when GitHub no longer says); null for the repository's own branches or no pull request.</summary>
    private static string? ForkHead(JsonElement payload, string? repository)
    {
        if (!payload.TryGetProperty("pull_request", out var pr) || pr.ValueKind != JsonValueKind.Object
            || !pr.TryGetProperty("head", out var head) || head.ValueKind != JsonValueKind.Object) return null;
        var headRepo = Router.Str(head, "repo", "full_name");
        if (headRepo is null) return "(deleted fork)";
        return repository is not null && string.Equals(headRepo, repository, StringComparison.OrdinalIgnoreCase) ? null : headRepo;
    }

    /// <summary>The permission GitHub required of the sender to cause this event at all.</summary>
    private static RepositoryAccess ProvenByEvent(string eventType, JsonElement payload, string? repository) => eventType switch
    {
        "push" or "create" or "delete" or "release" => RepositoryAccess.Write,
        "pull_request" when ForkHead(payload, repository) is null && payload.TryGetProperty("pull_request", out _)
            && BranchActions.Contains(Router.Str(payload, "action") ?? "") => RepositoryAccess.Write,
        _ => RepositoryAccess.None,
    };

    private static string Number(JsonElement payload) =>
        payload.TryGetProperty("pull_request", out var pr) && pr.ValueKind == JsonValueKind.Object && pr.TryGetProperty("number", out var n) ? n.GetRawText()
        : payload.TryGetProperty("number", out var m) ? m.GetRawText() : "?";
}
