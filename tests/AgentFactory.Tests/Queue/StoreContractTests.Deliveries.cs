using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Postgres;

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

    /// <summary>What PostgreSQL's jsonb refuses although .NET parses it (found against PostgreSQL 15; see StorableJson).</summary>
    internal static readonly string[] UnstorablePayloads =
    [
        "{\"a\":\"\\ud800\"}",                     // a lone high surrogate
        "{\"a\":\"x\\udc00y\"}",                   // a lone low surrogate
        "{\"a\":\"\\ud800\\ud800\"}",             // two highs
        "{\"\\ud83d\":1}",                          // in a key
        "{\"a\":1e999999}",
        "{\"a\":[1, 1e131072]}",                    // its leading digit at 10^131072
        "{\"a\":10e131071}",
        "{\"a\":1e-16384}",                         // 16384 after it
        "{\"a\":1.0000e-16380}",
        "{\"a\":0e-1073741822}",
        "{\"a\":0e1073741823}",
        "{\"a\":0." + new string('0', 16384) + "}",
        "{\"a\":1" + new string('0', 131072) + "}",
    ];

    /// <summary>Edges of the same limits that jsonb stores.</summary>
    internal static readonly string[] StorableEdges =
    [
        "{\"a\":\"\\ud83d\\ude00 \\\\ud800\",\"b\":\"\ud83d\ude00\"}", // a pair, an escaped backslash before "ud800", a raw pair
        "{\"a\":[1e131071, 99999e131067, 1e-16383, 12.5e-16382, 0e999999, -0, 1E+5]}",
        "{\"sha\":\"2e41930000\",\"n\":\"1e99999 is text\"}",
        "{\"a\":0." + new string('0', 16382) + "1}",
    ];

    [StoreFact]
    public async Task RecordDeliveries_refuses_only_the_deliveries_the_queue_cannot_store_and_commits_the_rest()
    {
        var batch = UnstorablePayloads.Select((p, i) => (Good: false, Record: new DeliveryRecord(Event($"bad{i}") with { Payload = p }, [new NewJob("x", p)])))
            .Concat(StorableEdges.Select((p, i) => (Good: true, Record: new DeliveryRecord(Event($"edge{i}") with { Payload = p }, [new NewJob("x", p)]))))
            .Concat(Enumerable.Range(0, 20).Select(i => (Good: true, Record: new DeliveryRecord(Event($"good{i}"), [new NewJob("x", "{\"n\":1}")]))))
            .ToList();
        new Random(7).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch));

        var results = await Store.RecordDeliveriesAsync([.. batch.Select(b => b.Record)], Ct);

        for (var i = 0; i < batch.Count; i++)
        {
            var name = batch[i].Record.Delivery.DeliveryId;
            if (batch[i].Good)
            {
                Assert.True(results[i].Refused is null, $"{name}: {results[i].Refused}");
                Assert.Single(results[i].JobIds);
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(results[i].Refused), name);
                Assert.DoesNotContain("System.", results[i].Refused, StringComparison.Ordinal);
                Assert.Empty(results[i].JobIds);
            }
        }
        var good = batch.Count(b => b.Good);
        Assert.Equal(good, (await Store.ListEventsAsync(new EventQuery(Limit: 500), Ct)).Count);
        Assert.Equal(good, (await Store.ListJobsAsync(new JobQuery(Limit: 500), Ct)).Count);
    }

    [StoreFact]
    public async Task RecordDeliveries_refuses_a_delivery_whose_job_payload_cannot_be_stored()
    {
        var results = await Store.RecordDeliveriesAsync(
        [
            new DeliveryRecord(Event("ok"), [new NewJob("x", "{}")]),
            new DeliveryRecord(Event("job-bad"), [new NewJob("x", "{\"a\":1e999999}")]),
        ], Ct);
        Assert.Null(results[0].Refused);
        Assert.NotNull(results[1].Refused);
        Assert.Single(await Store.ListEventsAsync(new EventQuery(), Ct));
    }

    private static readonly string BodyA = new('a', 64);
    private static readonly string BodyB = new('b', 64);

    [StoreFact]
    public async Task RecordDelivery_the_same_body_under_another_guid_or_hook_is_a_duplicate_within_the_replay_window()
    {
        // A replay: only the body is signed, so the attacker changes the GUID, the hook id, or drops it.
        var first = await Store.RecordDeliveryAsync(Event("d1") with { BodySha256 = BodyA }, [new NewJob("deploy", "{}")], Ct);
        Time.Advance(NewWebhookEvent.ReplayWindow - TimeSpan.FromMinutes(1));
        foreach (var replay in new[] { Event("d2"), Event("d1-1"), Event("d1", hook: ""), Event("d1", hook: "999") })
        {
            var again = await Store.RecordDeliveryAsync(replay with { BodySha256 = BodyA }, [new NewJob("deploy", "{}")], Ct);
            Assert.True(again.Duplicate, replay.ToString());
            Assert.Equal(first.EventId, again.EventId);
        }
        Assert.Single(await Store.ListJobsAsync(new JobQuery(), Ct));
        Assert.False((await Store.RecordDeliveryAsync(Event("d9") with { BodySha256 = BodyB }, [], Ct)).Duplicate);
    }

    [StoreFact]
    public async Task RecordDelivery_an_identical_body_after_the_replay_window_is_new_but_a_redelivery_never_is()
    {
        var first = await Store.RecordDeliveryAsync(Event("d1") with { BodySha256 = BodyA }, [new NewJob("x", "{}")], Ct);
        Time.Advance(NewWebhookEvent.ReplayWindow + TimeSpan.FromMinutes(1));

        var redelivery = await Store.RecordDeliveryAsync(Event("d1") with { BodySha256 = BodyA }, [new NewJob("x", "{}")], Ct);
        var later = await Store.RecordDeliveryAsync(Event("d2") with { BodySha256 = BodyA }, [new NewJob("x", "{}")], Ct);
        var copyOfLater = await Store.RecordDeliveryAsync(Event("d3") with { BodySha256 = BodyA }, [new NewJob("x", "{}")], Ct);

        Assert.True(redelivery.Duplicate);
        Assert.Equal(first.EventId, redelivery.EventId);
        Assert.False(later.Duplicate);
        Assert.True(copyOfLater.Duplicate);
        Assert.Equal(later.EventId, copyOfLater.EventId);
        Assert.Equal(2, (await Store.ListJobsAsync(new JobQuery(), Ct)).Count);
    }

    [StoreFact]
    public async Task RecordDeliveries_copies_of_one_body_in_one_batch_or_in_batches_in_flight_together_are_stored_once()
    {
        var results = await Store.RecordDeliveriesAsync(
        [
            new DeliveryRecord(Event("x1") with { BodySha256 = BodyA }, [new NewJob("x", "{}")]),
            new DeliveryRecord(Event("x2") with { BodySha256 = BodyA }, [new NewJob("x", "{}")]),
            new DeliveryRecord(Event("m1"), [new NewJob("x", "{}")]), // no hash (a manual trigger): never a body duplicate
            new DeliveryRecord(Event("m2"), [new NewJob("x", "{}")]),
        ], Ct);
        Assert.Equal([false, true, false, false], results.Select(r => r.Duplicate));

        var hashes = Enumerable.Range(0, 100).Select(i => $"{i:x64}").ToArray();
        var batches = Enumerable.Range(0, 6).Select(b =>
        {
            var order = hashes.ToArray();
            new Random(b).Shuffle(order);
            return order.Select(h => new DeliveryRecord(Event($"{h[^6..]}-{b}") with { BodySha256 = h }, [new NewJob("x", "{}")])).ToList();
        }).ToList();
        var all = await Task.WhenAll(batches.Select(batch => Task.Run(() => Store.RecordDeliveriesAsync(batch, Ct))));
        Assert.Equal(hashes.Length, all.SelectMany(r => r).Count(r => !r.Duplicate));
        Assert.Equal(3 + hashes.Length, (await Store.ListJobsAsync(new JobQuery(Limit: 500), Ct)).Count);
    }
}
