using System.Text.Json;
using AgentFactory.Events;
using AgentFactory.Jobs;

namespace AgentFactory.Dashboard;

/// <summary>The JSON the admin API answers with (snake_case, like the webhook endpoints), shared with `agentfactory stats --json`.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static JobSummary Summary(JobRecord j) => new(
        j.Id, j.JobType, j.Status.ToDb(), j.Priority, j.Attempt, j.MaxAttempts, j.CreatedAt, j.ScheduledAt, j.StartedAt, j.CompletedAt,
        j.Error is { Length: > 300 } e ? e[..300] + "…" : j.Error, j.EventId);

    /// <summary>The job with its steps' <paramref name="usage"/> (tokens and cost in all; zero when it has no steps).</summary>
    public static JobDetail Detail(JobRecord j, DateTimeOffset now, JobUsage usage) => new(
        j.Id, j.JobType, j.Status.ToDb(), j.Priority, j.Attempt, j.MaxAttempts, j.EventId,
        ParseOrString(j.Payload), j.Error, j.Errors, j.Output,
        new JobTimings(j.CreatedAt, j.ScheduledAt, j.StartedAt, j.CompletedAt,
            WaitSeconds: j.StartedAt is { } s ? Math.Max(0, (s - j.ScheduledAt).TotalSeconds) : null,
            RunSeconds: j.StartedAt is { } st ? ((j.CompletedAt ?? (j.Status == JobStatus.Running ? now : st)) - st).TotalSeconds : null),
        j.LeaseOwner is null ? null : new JobLeaseView(j.LeaseOwner, j.LeaseExpiresAt),
        new JobActionsView(
            Retry: j.Status is JobStatus.Failed or JobStatus.Cancelled,
            Cancel: j.Status is JobStatus.Pending or JobStatus.Running,
            Requeue: j.Status is JobStatus.Completed),
        StepViews.Usage(usage));

    public static EventView Event(WebhookEventRecord e, IReadOnlyList<long> jobIds) => new(
        e.Id, e.DeliveryId, e.HookId, e.EventType, e.Action, e.Repository, e.ReceivedAt, e.ConvertedToJob, jobIds,
        // "refused": a job of the delivery was not created or not started (trigger_refusal says which and why).
        e.EventType == "heartbeat" ? "heartbeat" : e.TriggerRefusal is not null ? "refused" : e.ConvertedToJob ? "queued" : "recorded",
        e.TriggerRefusal);

    /// <summary>Stored JSON as a JSON value; text that does not parse (it should) is shown as a string.</summary>
    public static JsonElement ParseOrString(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(json);
        }
    }
}

public sealed record JobSummary(
    long Id, string JobType, string Status, int Priority, int Attempt, int MaxAttempts,
    DateTimeOffset CreatedAt, DateTimeOffset ScheduledAt, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, string? Error, long? EventId);

/// <param name="Errors">Every failed attempt's error, oldest first.</param>
/// <param name="Actions">Which operator actions the job's status allows now.</param>
/// <param name="Usage">What the job's transcript used: steps, model turns, tokens and cost; the steps are at GET /api/jobs/{id}/steps.</param>
public sealed record JobDetail(
    long Id, string JobType, string Status, int Priority, int Attempt, int MaxAttempts, long? EventId,
    JsonElement Payload, string? Error, IReadOnlyList<AttemptError> Errors, string? Output,
    JobTimings Timings, JobLeaseView? Lease, JobActionsView Actions, JobUsageView Usage);

/// <param name="WaitSeconds">From when the job was due to when its last attempt started.</param>
/// <param name="RunSeconds">How long the last attempt ran (so far, while running).</param>
public sealed record JobTimings(
    DateTimeOffset CreatedAt, DateTimeOffset ScheduledAt, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, double? WaitSeconds, double? RunSeconds);

public sealed record JobLeaseView(string Owner, DateTimeOffset? ExpiresAt);

public sealed record JobActionsView(bool Retry, bool Cancel, bool Requeue);

/// <param name="Outcome">"queued" (it became jobs), "recorded" (no rule matched, or a ping) or "heartbeat".</param>
public sealed record EventView(
    long Id, string DeliveryId, string HookId, string Event, string? Action, string? Repository, DateTimeOffset ReceivedAt,
    bool ConvertedToJob, IReadOnlyList<long> JobIds, string Outcome, string? TriggerRefusal);

public sealed record Page<T>(IReadOnlyList<T> Items, long? NextBeforeId);
