using System.Threading.Channels;
using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;

namespace AgentFactory.Ingest;

/// <summary>
/// Group commit for ingest: deliveries that arrive while a commit is in flight are stored together in
/// the next transaction, so many concurrent requests share one durable write. Each request still gets
/// its answer only after the transaction holding its delivery has committed. The store says how many
/// transactions may be in flight (<see cref="IDeliveryStore.IngestWriters"/>): one on SQLite, several on
/// PostgreSQL, whose commits (and their WAL flushes) overlap.
/// </summary>
public sealed class DeliveryBatcher(IDeliveryStore store) : BackgroundService
{
    /// <summary>Deliveries per transaction at most; larger bursts are split.</summary>
    public const int MaxBatch = 256;

    // Stryker disable once Initializer,Equality : Wait is the default full mode, and SingleReader only lets the channel skip locks it would otherwise take.
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(10_000)
    {
        SingleReader = store.IngestWriters == 1,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public async Task<DeliveryResult> RecordAsync(NewWebhookEvent delivery, IReadOnlyList<NewJob> jobs, CancellationToken ct)
    {
        var pending = new Pending(new DeliveryRecord(delivery, jobs), new TaskCompletionSource<DeliveryResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, ct);
        // Once queued the delivery is written even if the client goes away; the answer waits for the commit.
        return await pending.Result.Task;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(1, store.IngestWriters)).Select(_ => WriterAsync(stoppingToken)));

    private async Task WriterAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await DrainOnceAsync(batch);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        // Stopping: commit what was accepted into the queue before the host shuts down.
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryPeek(out _)) await DrainOnceAsync(batch);
    }

    private async Task DrainOnceAsync(List<Pending> batch)
    {
        batch.Clear();
        while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item)) batch.Add(item);
        if (batch.Count == 0) return;
        try
        {
            var results = await store.RecordDeliveriesAsync([.. batch.Select(p => p.Record)], CancellationToken.None);
            // Stryker disable once Equality : one step too far throws only after every answer is set, and the catch cannot change a set answer.
            for (var i = 0; i < batch.Count; i++) batch[i].Result.TrySetResult(results[i]);
        }
        catch (Exception e)
        {
            foreach (var p in batch) p.Result.TrySetException(e);
        }
    }

    private sealed record Pending(DeliveryRecord Record, TaskCompletionSource<DeliveryResult> Result);
}
