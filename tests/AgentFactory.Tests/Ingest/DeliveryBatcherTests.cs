using AgentFactory.Events;
using AgentFactory.Ingest;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Ingest;

/// <summary>Group commit: many requests share one transaction, and each still gets the answer for its own delivery.</summary>
public sealed class DeliveryBatcherTests
{
    private static NewWebhookEvent Delivery(int i) => new($"d{i}", "1", "push", null, "acme/api", "{}");

    [Fact]
    public async Task Deliveries_queued_together_share_transactions_of_at_most_MaxBatch_and_each_gets_its_own_result()
    {
        var store = new RecordingStore();
        using var batcher = new DeliveryBatcher(store);
        var count = DeliveryBatcher.MaxBatch + 44;
        var answers = Enumerable.Range(0, count).Select(i => batcher.RecordAsync(Delivery(i), [], CancellationToken.None)).ToArray();
        await batcher.StartAsync(CancellationToken.None);

        var results = await Task.WhenAll(answers).WaitAsync(Wait.Deadline);

        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), results.Select(r => r.EventId));
        Assert.Equal([DeliveryBatcher.MaxBatch, 44], store.Batches);
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task When_the_store_fails_every_request_of_that_transaction_gets_the_error()
    {
        var store = new RecordingStore { Failure = new StoreUnavailableException("the queue database is down") };
        using var batcher = new DeliveryBatcher(store);
        var answers = Enumerable.Range(0, 3).Select(i => batcher.RecordAsync(Delivery(i), [], CancellationToken.None)).ToArray();
        await batcher.StartAsync(CancellationToken.None);

        foreach (var answer in answers)
            Assert.Equal("the queue database is down", (await Assert.ThrowsAsync<StoreUnavailableException>(() => answer.WaitAsync(Wait.Deadline))).Message);

        store.Failure = null; // the next transaction is not affected
        Assert.Equal(0, (await batcher.RecordAsync(Delivery(0), [], CancellationToken.None).WaitAsync(Wait.Deadline)).EventId);
        await batcher.StopAsync(CancellationToken.None);
    }

    /// <summary>PostgreSQL: the store allows two transactions in flight; the second batch must not wait for the first to commit.</summary>
    [Fact]
    public async Task A_store_with_several_writers_gets_overlapping_transactions()
    {
        var store = new RecordingStore { Writers = 2, HoldUntilInFlight = 2 };
        using var batcher = new DeliveryBatcher(store);
        await batcher.StartAsync(CancellationToken.None);

        var first = batcher.RecordAsync(Delivery(0), [], CancellationToken.None);
        await Wait.UntilAsync(() => store.InFlight == 1, "the first transaction to start");
        var second = batcher.RecordAsync(Delivery(1), [], CancellationToken.None);

        await Task.WhenAll(first, second).WaitAsync(Wait.Deadline);
        Assert.DoesNotContain(0, store.Batches);
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Deliveries_accepted_before_a_stop_are_still_stored()
    {
        var store = new RecordingStore { HoldUntilInFlight = int.MaxValue };
        using var batcher = new DeliveryBatcher(store);
        await batcher.StartAsync(CancellationToken.None);
        var first = batcher.RecordAsync(Delivery(0), [], CancellationToken.None);
        await Wait.UntilAsync(() => store.InFlight == 1, "the first transaction to start");
        var queued = Enumerable.Range(1, 5).Select(i => batcher.RecordAsync(Delivery(i), [], CancellationToken.None)).ToArray();

        var stopping = batcher.StopAsync(CancellationToken.None);
        store.Release();
        await stopping.WaitAsync(Wait.Deadline);

        Assert.Equal(0, (await first).EventId);
        Assert.Equal([1L, 2, 3, 4, 5], (await Task.WhenAll(queued)).Select(r => r.EventId));
        Assert.Equal(6, store.Batches.Sum());
    }

    [Fact]
    public async Task A_delivery_after_the_stop_is_refused_instead_of_waiting_forever()
    {
        using var batcher = new DeliveryBatcher(new RecordingStore());
        await batcher.StartAsync(CancellationToken.None);
        await batcher.RecordAsync(Delivery(0), [], CancellationToken.None).WaitAsync(Wait.Deadline); // the writer runs
        await batcher.StopAsync(CancellationToken.None);
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(() => batcher.RecordAsync(Delivery(0), [], CancellationToken.None).WaitAsync(Wait.Deadline));
    }

    /// <summary>Answers each delivery with its number ("d7" → event id 7), and records how many each transaction held.</summary>
    private sealed class RecordingStore : IDeliveryStore
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;

        public int Writers { get; init; } = 1;
        public int HoldUntilInFlight { get; init; }
        public Exception? Failure { get; set; }
        public List<int> Batches { get; } = [];
        public int InFlight => Volatile.Read(ref _inFlight);
        public int IngestWriters => Writers;

        public void Release() => _release.TrySetResult();

        public async Task<IReadOnlyList<DeliveryResult>> RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> deliveries, CancellationToken ct)
        {
            lock (Batches) Batches.Add(deliveries.Count);
            if (Interlocked.Increment(ref _inFlight) >= HoldUntilInFlight) Release();
            try
            {
                if (HoldUntilInFlight > 0) await _release.Task.WaitAsync(Wait.Deadline, ct);
                if (Failure is { } e) throw e;
                return [.. deliveries.Select(d => new DeliveryResult(false, long.Parse(d.Delivery.DeliveryId[1..], System.Globalization.CultureInfo.InvariantCulture), []))];
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public Task<long> EnqueueAsync(NewJob job, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlySet<string>> FindStoredDeliveriesAsync(string? hookId, IReadOnlyCollection<string> deliveryIds, CancellationToken ct) =>
            throw new NotSupportedException();
    }
}
