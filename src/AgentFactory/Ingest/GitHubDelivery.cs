using System.Text.RegularExpressions;
using AgentFactory.Events;

namespace AgentFactory.Ingest;

/// <summary>
/// The X-GitHub-* headers of one delivery, parsed and checked once. None of them is covered by the
/// signature, so each is held to what GitHub sends: an event name, a delivery GUID (kept in lower case,
/// as GitHub sends it, so a case change is the same delivery) and a numeric hook id.
/// </summary>
public sealed partial record GitHubDelivery(string Event, string DeliveryId, string HookId, string? Signature256)
{
    /// <summary>Null plus a reason when a required header is missing or malformed.</summary>
    public static (GitHubDelivery? Delivery, string? Problem) From(IHeaderDictionary headers)
    {
        var ev = headers["X-GitHub-Event"].ToString();
        var delivery = headers["X-GitHub-Delivery"].ToString();
        var hook = headers["X-GitHub-Hook-ID"].ToString();
        if (ev.Length == 0) return (null, "The X-GitHub-Event header is missing. Only GitHub webhook deliveries are accepted here.");
        if (!EventName().IsMatch(ev)) return (null, "The X-GitHub-Event header is not a GitHub event name (lower-case letters, digits and '_', such as projects_v2_item).");
        if (InternalEvents.IsReserved(ev))
            return (null, $"The X-GitHub-Event '{ev}' is a name the service uses for its own records, not a GitHub event, so it is refused.");
        if (delivery.Length == 0) return (null, "The X-GitHub-Delivery header is missing. Only GitHub webhook deliveries are accepted here.");
        if (!Token().IsMatch(delivery)) return (null, "The X-GitHub-Delivery header is not a delivery id (1–100 letters, digits or dashes).");
        if (hook.Length > 0 && !HookNumber().IsMatch(hook)) return (null, "The X-GitHub-Hook-ID header is not a hook id (GitHub sends the hook's number).");
        var signature = headers["X-Hub-Signature-256"].ToString();
        return (new GitHubDelivery(ev, delivery.ToLowerInvariant(), hook, signature.Length == 0 ? null : signature), null);
    }

    /// <summary>GitHub's event names (docs "Webhook events and payloads"): snake case, digits allowed (projects_v2_item).</summary>
    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex EventName();

    [GeneratedRegex("^[A-Za-z0-9-]{1,100}$")]
    private static partial Regex Token();

    [GeneratedRegex("^[0-9]{1,20}$")]
    private static partial Regex HookNumber();
}
