using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Postgres;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Queue;

public abstract partial class StoreContractTests
{
    [StoreFact]
    public async Task RecordDelivery_stores_event_and_jobs_together()
    {
        var result = await Store.RecordDeliveryAsync(Event("d1"), [new NewJob("github_push", "{\"a\":1}", 5, 3)], Ct);
        Assert.False(result.Duplicate);
        var job = Assert.Single(await Store.ListJobsAsync(new JobQuery(), Ct));
        Assert.Equal(result.JobIds.Single(), job.Id);
        Assert.Equal(result.EventId, job.EventId);
        Assert.Equal(JobStatus.Pending, job.Status);
        Assert.Equal(5, job.Priority);
        Assert.Equal(Time.GetUtcNow(), job.CreatedAt);
        var ev = Assert.Single(await Store.ListEventsAsync(new EventQuery(), Ct));
        Assert.True(ev.ConvertedToJob);
        Assert.Equal("push", ev.EventType);
        Assert.Equal("d1", ev.DeliveryId);
    }

    [StoreFact]
    public async Task RecordDelivery_redelivery_creates_nothing_new_but_same_guid_on_another_hook_does()
    {
        var first = await Store.RecordDeliveryAsync(Event("d1", "hook-a"), [new NewJob("x", "{}")], Ct);
        var again = await Store.RecordDeliveryAsync(Event("d1", "hook-a"), [new NewJob("x", "{}")], Ct);
        var otherHook = await Store.RecordDeliveryAsync(Event("d1", "hook-b"), [new NewJob("x", "{}")], Ct);
        Assert.True(again.Duplicate);
        Assert.Equal(first.EventId, again.EventId);
        Assert.Empty(again.JobIds);
        Assert.False(otherHook.Duplicate);
        Assert.Equal(2, (await Store.ListJobsAsync(new JobQuery(), Ct)).Count);
    }

    [StoreFact]
    public async Task FindStoredDeliveries_matches_the_hook_or_no_hook_and_ignores_other_hooks()
    {
        await Store.RecordDeliveryAsync(Event("g1", "42"), [], Ct);
        await Store.RecordDeliveryAsync(Event("g2", ""), [], Ct);
        await Store.RecordDeliveryAsync(Event("g3", "7"), [], Ct);
        string[] asked = ["g1", "g2", "g3", "missing"];

        Assert.Equal(["g1", "g2"], (await Store.FindStoredDeliveriesAsync("42", asked, Ct)).Order());
        Assert.Equal(["g1", "g2", "g3"], (await Store.FindStoredDeliveriesAsync(null, asked, Ct)).Order());
        Assert.Empty(await Store.FindStoredDeliveriesAsync("42", [], Ct));
    }

    [StoreFact]
    public async Task RecordDelivery_concurrent_redeliveries_make_exactly_one_job()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
            Task.Run(() => Store.RecordDeliveryAsync(Event("same"), [new NewJob("x", "{}")], Ct))));
        Assert.Single(results, r => !r.Duplicate);
        Assert.Single(await Store.ListJobsAsync(new JobQuery(), Ct));
    }

    [StoreFact]
    public async Task RecordDeliveries_batches_in_flight_together_with_the_same_redeliveries_in_any_order_store_each_once()
    {
        // Ingest keeps several batches in flight on PostgreSQL: overlapping batches must neither deadlock nor double-store.
        var ids = Enumerable.Range(0, 200).Select(i => $"d{i:000}").ToArray();
        var batches = Enumerable.Range(0, 8).Select(b =>
        {
            var order = ids.ToArray();
            new Random(b).Shuffle(order);
            return order.Select(id => new DeliveryRecord(Event(id), [new NewJob("x", "{}")])).ToList();
        }).ToList();
        var results = await Task.WhenAll(batches.Select(batch => Task.Run(() => Store.RecordDeliveriesAsync(batch, Ct))));
        var stored = batches.Zip(results, (batch, r) => batch.Zip(r, (d, res) => (d.Delivery.DeliveryId, res))).SelectMany(x => x).ToList();
        foreach (var id in ids) Assert.Single(stored, s => s.DeliveryId == id && !s.res.Duplicate);
        Assert.Equal(200, (await Store.ListJobsAsync(new JobQuery(Limit: 500), Ct)).Count);
        Assert.Equal(200, (await Store.ListEventsAsync(new EventQuery(Limit: 500), Ct)).Count);
    }

    [StoreFact]
    public async Task RecordDeliveries_in_one_batch_answers_each_in_order_and_dedupes_within_the_batch()
    {
        await Store.RecordDeliveryAsync(Event("old"), [new NewJob("x", "{}")], Ct);
        var results = await Store.RecordDeliveriesAsync(
        [
            new DeliveryRecord(Event("a"), [new NewJob("x", "{}"), new NewJob("y", "{}")]),
            new DeliveryRecord(Event("old"), [new NewJob("x", "{}")]),
            new DeliveryRecord(Event("b", type: "star"), []),
            new DeliveryRecord(Event("a"), [new NewJob("x", "{}")]),
        ], Ct);
        Assert.Equal([false, true, false, true], results.Select(r => r.Duplicate));
        Assert.Equal(2, results[0].JobIds.Count);
        Assert.Empty(results[2].JobIds);
        Assert.Equal(results[0].EventId, results[3].EventId);
        Assert.Equal(3, (await Store.ListJobsAsync(new JobQuery(), Ct)).Count);
        Assert.Equal(3, (await Store.ListEventsAsync(new EventQuery(), Ct)).Count);
    }

    [StoreFact]
    public async Task RecordDelivery_without_jobs_is_recorded_as_not_converted()
    {
        await Store.RecordDeliveryAsync(Event("d2", type: "star"), [], Ct);
        var ev = Assert.Single(await Store.ListEventsAsync(new EventQuery("star"), Ct));
        Assert.False(ev.ConvertedToJob);
        Assert.Empty(await Store.ListJobsAsync(new JobQuery(), Ct));
    }

    [StoreFact]
    public async Task Enqueue_wakes_the_signal()
    {
        var wait = Signal.WaitAsync(TimeSpan.FromMinutes(5), TimeProvider.System, Ct);
        await Enqueue();
        Assert.True(await wait);
    }

    [StoreFact]
    public async Task Payload_round_trips_unchanged()
    {
        const string payload = "{\"text\":\"ünïcødé ✓ \\\"quoted\\\"\",\"n\":[1,2,3]}";
        var id = await Store.EnqueueAsync(new NewJob("t", payload), Ct);
        var row = await Store.GetJobAsync(id, Ct);
        using var a = System.Text.Json.JsonDocument.Parse(payload);
        using var b = System.Text.Json.JsonDocument.Parse(row!.Payload);
        Assert.Equal(a.RootElement.GetProperty("text").GetString(), b.RootElement.GetProperty("text").GetString());
        Assert.Equal(3, b.RootElement.GetProperty("n").GetArrayLength());
    }

    [StoreFact]
    public async Task Payload_with_a_nul_character_is_stored_rather_than_refused()
    {
        const string payload = "{\"head_commit\":{\"message\":\"fix\\u0000bug\"},\"n\":1.50}";
        var result = await Store.RecordDeliveryAsync(Event("nul") with { Payload = payload }, [new NewJob("x", payload)], Ct);
        var job = await Store.GetJobAsync(result.JobIds.Single(), Ct);
        using var doc = System.Text.Json.JsonDocument.Parse(job!.Payload);
        var message = doc.RootElement.GetProperty("head_commit").GetProperty("message").GetString()!;
        Assert.StartsWith("fix", message, StringComparison.Ordinal);
        Assert.EndsWith("bug", message, StringComparison.Ordinal);
        Assert.Equal(1.5m, doc.RootElement.GetProperty("n").GetDecimal());
    }
}
