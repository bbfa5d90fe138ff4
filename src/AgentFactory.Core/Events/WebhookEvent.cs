namespace AgentFactory.Events;

/// <summary>A delivery to record in <c>webhook_events</c>, with its identity for deduplication.</summary>
/// <param name="HookId">X-GitHub-Hook-ID; GitHub reuses delivery GUIDs across hooks, so dedupe is on (hook, delivery).</param>
/// <param name="Payload">The event payload as JSON text.</param>
/// <param name="BodySha256">
/// The SHA-256 (lower-case hex) of the signed request body, the second dedupe key: a delivery whose
/// body equals one received within <see cref="ReplayWindow"/> is a duplicate whatever its delivery id
/// or hook id, because those headers are not signed. Null for what the service records itself.
/// </param>
/// <param name="TriggerRefusal">
/// Why routed jobs were not created (the sender may not start them, or a fork's pull request would run
/// repository code), one line per job type; null when nothing was refused. See docs/security.md.
/// </param>
public sealed record NewWebhookEvent(
    string DeliveryId,
    string HookId,
    string EventType,
    string? Action,
    string? Repository,
    string Payload,
    string? BodySha256 = null,
    string? TriggerRefusal = null)
{
    /// <summary>
    /// How long an identical body counts as the same delivery: GitHub's redelivery window (three days).
    /// Within it a copy is a redelivery or a replay; after it an identical body is taken as a new event,
    /// since some events carry nothing that changes (two equal repository_dispatch calls).
    /// </summary>
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromDays(3);
}

/// <summary>
/// Event types the service writes into <c>webhook_events</c> itself (with the same word as hook id).
/// No delivery may carry one: ingest refuses them, so a delivery can never pass for an orchestrator's
/// heartbeat or a manual trigger.
/// </summary>
public static class InternalEvents
{
    public const string Heartbeat = "heartbeat";
    public const string Manual = "manual";

    public static bool IsReserved(string eventType) => eventType is Heartbeat or Manual;
}

/// <summary>One row of <c>webhook_events</c>.</summary>
/// <param name="TriggerRefusal">Why jobs of this delivery were not created or not started, one line per job type; null when none was refused.</param>
public sealed record WebhookEventRecord(
    long Id,
    string DeliveryId,
    string HookId,
    string EventType,
    string? Action,
    string? Repository,
    DateTimeOffset ReceivedAt,
    bool ConvertedToJob,
    string Payload,
    string? TriggerRefusal = null);

/// <summary>
/// The outcome of recording a delivery: new (with the ids of the jobs it created), a redelivery, or
/// refused (<see cref="Refused"/> says why; nothing was stored and <see cref="EventId"/> is 0).
/// </summary>
public sealed record DeliveryResult(bool Duplicate, long EventId, IReadOnlyList<long> JobIds, string? Refused = null)
{
    /// <summary>A delivery the queue cannot store as sent (see StorableJson); the others of its batch are unaffected.</summary>
    public static DeliveryResult Refusal(string reason) => new(false, 0, [], reason);
}

/// <summary>The newest heartbeat an orchestrator instance wrote.</summary>
public sealed record HeartbeatRecord(string Instance, DateTimeOffset At, string Details);

/// <summary>Filters for listing events; null means any.</summary>
/// <param name="IncludeHeartbeats">False leaves out the orchestrators' heartbeat rows (event_type 'heartbeat'), so only deliveries are listed.</param>
public sealed record EventQuery(string? EventType = null, int Limit = 50, long? BeforeId = null, bool IncludeHeartbeats = true);
