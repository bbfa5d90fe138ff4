using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Ingest;

/// <summary>The X-GitHub-* headers of one delivery, parsed and checked once.</summary>
public sealed partial record GitHubDelivery(string Event, string DeliveryId, string HookId, string? Signature256)
{
    /// <summary>Null plus a reason when a required header is missing or malformed.</summary>
    public static (GitHubDelivery? Delivery, string? Problem) From(IHeaderDictionary headers)
    {
        var ev = headers["X-GitHub-Event"].ToString();
        var delivery = headers["X-GitHub-Delivery"].ToString();
        var hook = headers["X-GitHub-Hook-ID"].ToString();
        if (ev.Length == 0) return (null, "The X-GitHub-Event header is missing. Only GitHub webhook deliveries are accepted here.");
        if (!EventName().IsMatch(ev)) return (null, "The X-GitHub-Event header is not a GitHub event name.");
        if (delivery.Length == 0) return (null, "The X-GitHub-Delivery header is missing. Only GitHub webhook deliveries are accepted here.");
        if (!Token().IsMatch(delivery)) return (null, "The X-GitHub-Delivery header is not a delivery id (1–100 letters, digits or dashes).");
        if (hook.Length > 0 && !Token().IsMatch(hook)) return (null, "The X-GitHub-Hook-ID header is not a hook id.");
        var signature = headers["X-Hub-Signature-256"].ToString();
        return (new GitHubDelivery(ev, delivery, hook, signature.Length == 0 ? null : signature), null);
    }

    [GeneratedRegex("^[a-z_]{1,64}$")]
    private static partial Regex EventName();

    [GeneratedRegex("^[A-Za-z0-9-]{1,100}$")]
    private static partial Regex Token();
}
