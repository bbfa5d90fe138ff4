namespace AgentFactory.Queue;

/// <summary>
/// What the orchestrator's trust check reads and writes on a job's delivery (docs/security.md): the
/// delivery's event type (the service's own rows, such as manual triggers, are not GitHub's) and the
/// refusal of a job it did not start, kept on the delivery's <c>webhook_events</c> row.
/// </summary>
public interface ITriggerRefusalStore
{
    /// <summary>The event_type of the webhook_events row, or null when there is none.</summary>
    Task<string?> GetEventTypeAsync(long eventId, CancellationToken ct);

    /// <summary>Adds one line to the row's trigger_refusal (not again when the same line is there). Nothing when the row is gone.</summary>
    Task RecordTriggerRefusalAsync(long eventId, string refusal, CancellationToken ct);
}
