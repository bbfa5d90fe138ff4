namespace AgentFactory.Events;

/// <summary>A delivery to record in <c>webhook_events</c>, with its identity for deduplication.</summary>
/// <param name="HookId">X-GitHub-Hook-ID; GitHub reuses delivery GUIDs across hooks, so dedupe is on (hook, delivery).</param>
/// <param name="Payload">The event payload as JSON text.</param>
public sealed record NewWebhookEvent(
    string DeliveryId,
    string HookId,
    string EventType,
    string? Action,
    string? Repository,
    string Payload);

/// <summary>One row of <c>webhook_events</c>.</summary>
public sealed record WebhookEventRecord(
    long Id,
    string DeliveryId,
    string HookId,
    string EventType,
    string? Action,
    string? Repository,
    DateTimeOffset ReceivedAt,
    bool ConvertedToJob,
    string Payload);

/// <summary>The outcome of recording a delivery: new (with the ids of the jobs it created) or a redelivery.</summary>
public sealed record DeliveryResult(bool Duplicate, long EventId, IReadOnlyList<long> JobIds);

/// <summary>The newest heartbeat an orchestrator instance wrote.</summary>
public sealed record HeartbeatRecord(string Instance, DateTimeOffset At, string Details);

/// <summary>Filters for listing events; null means any.</summary>
/// <param name="IncludeHeartbeats">False leaves out the orchestrators' heartbeat rows (event_type 'heartbeat'), so only deliveries are listed.</param>
public sealed record EventQuery(string? EventType = null, int Limit = 50, long? BeforeId = null, bool IncludeHeartbeats = true);
