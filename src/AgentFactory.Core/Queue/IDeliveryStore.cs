using AgentFactory.Events;
using AgentFactory.Jobs;

namespace AgentFactory.Queue;

/// <summary>What comes in: ingest's deliveries with their jobs, jobs queued by hand, and the look-up redelivery needs.</summary>
public interface IDeliveryStore
{
    /// <summary>
    /// Records deliveries and inserts their jobs, all in one transaction (group commit: concurrent
    /// requests share one durable write). A delivery whose (hook id, delivery id) is already stored —
    /// or appears earlier in the same batch — changes nothing and is reported as a duplicate.
    /// Each delivery is judged alone: one whose payload (or a job's) the queue cannot store as sent is
    /// refused (<see cref="Events.DeliveryResult.Refused"/>) and the rest of the batch commits; the
    /// same payloads are refused on every driver. Returns one result per delivery, in order, only after commit.
    /// </summary>
    Task<IReadOnlyList<DeliveryResult>> RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct);

    /// <summary>
    /// How many <see cref="RecordDeliveriesAsync"/> transactions ingest keeps in flight at once: one for a
    /// store with a single writer (more would only split the batches), several where commits run side by side.
    /// </summary>
    int IngestWriters => 1;

    /// <summary>Inserts one job with no delivery behind it (`agentfactory trigger`, the benchmark).</summary>
    Task<long> EnqueueAsync(NewJob job, CancellationToken ct);

    /// <summary>
    /// Which of the given delivery ids (X-GitHub-Delivery) are stored in webhook_events for the hook
    /// <paramref name="hookId"/> or with no hook id (a proxy that dropped X-GitHub-Hook-ID);
    /// a null <paramref name="hookId"/> matches any hook. Used to find deliveries GitHub should redeliver.
    /// </summary>
    Task<IReadOnlySet<string>> FindStoredDeliveriesAsync(string? hookId, IReadOnlyCollection<string> deliveryIds, CancellationToken ct);
}

/// <summary>A delivery and the jobs routing made of it.</summary>
public sealed record DeliveryRecord(NewWebhookEvent Delivery, IReadOnlyList<NewJob> Jobs);

public static class DeliveryStoreExtensions
{
    /// <summary>Records one delivery and its jobs in one transaction (see <see cref="IDeliveryStore.RecordDeliveriesAsync"/>).</summary>
    public static async Task<DeliveryResult> RecordDeliveryAsync(this IDeliveryStore store, NewWebhookEvent delivery, IReadOnlyList<NewJob> jobs, CancellationToken ct) =>
        (await store.RecordDeliveriesAsync([new DeliveryRecord(delivery, jobs)], ct))[0];
}
