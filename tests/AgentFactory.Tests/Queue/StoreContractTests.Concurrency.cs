using System.Collections.Concurrent;
using System.Diagnostics;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Postgres;

namespace AgentFactory.Tests.Queue;

/// <summary>Concurrency keys (supersede, serialize, skip), held by the database on both drivers.</summary>
public abstract partial class StoreContractTests
{
    private Task<long> EnqueueKeyed(string key, ConcurrencyMode mode, string type = "review", IDeliveryStore? store = null) =>
        (store ?? Store).EnqueueAsync(new NewJob(type, "{\"n\":1}", Concurrency: new JobConcurrency(key, mode)), Ct);

    [StoreFact]
    public async Task Supersede_cancels_the_older_pending_and_running_jobs_of_its_key_and_type_only()
    {
        var running = await EnqueueKeyed("acme/app#7", ConcurrencyMode.Supersede);
        var claimed = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
        Assert.Equal(running, claimed.Id);
        var otherKey = await EnqueueKeyed("acme/app#8", ConcurrencyMode.Supersede);
        var otherType = await EnqueueKeyed("acme/app#7", ConcurrencyMode.Supersede, type: "deploy_preview");
        var keyless = await Enqueue("review");
        while (await Signal.WaitLeasesChangedAsync(TimeSpan.Zero, TimeProvider.System, Ct)) { } // only what comes next counts

        var second = await EnqueueKeyed("acme/app#7", ConcurrencyMode.Supersede);   // supersedes the running one
        Assert.True(await Signal.WaitLeasesChangedAsync(TimeSpan.FromSeconds(30), TimeProvider.System, Ct)); // this process renews now
        var newest = await EnqueueKeyed("acme/app#7", ConcurrencyMode.Supersede);   // supersedes the pending one

        Assert.Equal($"superseded by job {second}", (await Store.GetJobAsync(running, Ct))!.Error);
        Assert.Equal($"superseded by job {newest}", (await Store.GetJobAsync(second, Ct))!.Error);
        foreach (var old in new[] { running, second })
        {
            var row = (await Store.GetJobAsync(old, Ct))!;
            Assert.Equal(JobStatus.Cancelled, row.Status);
            Assert.Null(row.LeaseOwner);
            Assert.NotNull(row.CompletedAt);
        }
        foreach (var untouched in new[] { otherKey, otherType, keyless, newest })
            Assert.Equal(JobStatus.Pending, (await Store.GetJobAsync(untouched, Ct))!.Status);
        Assert.Equal(new JobConcurrency("acme/app#7", ConcurrencyMode.Supersede), (await Store.GetJobAsync(newest, Ct))!.Concurrency);

        // The running attempt's renewal says cancelled, and none of its write-backs lands: nothing stale is kept.
        Assert.Equal(LeaseState.Cancelled, (await Store.RenewLeasesAsync([claimed.Lease], Lease, Ct))[running]);
        Assert.False(await Store.CompleteAsync(claimed.Lease, "a stale review", Ct));
        Assert.False(await Store.FailAsync(claimed.Lease, new JobFailure("late", null, Time.GetUtcNow()), Ct));
        Assert.Equal($"superseded by job {second}", (await Store.GetJobAsync(running, Ct))!.Error);
    }

    [StoreFact]
    public async Task Supersede_within_one_delivery_batch_leaves_only_the_last_job_of_the_key()
    {
        var payload = "{\"n\":1}";
        NewJob Keyed() => new("review", payload, Concurrency: new JobConcurrency("acme/app#9", ConcurrencyMode.Supersede));
        var results = await Store.RecordDeliveriesAsync(
            [.. Enumerable.Range(0, 5).Select(i => new DeliveryRecord(Event($"push-{i}"), [Keyed()]))], Ct);
        var ids = results.Select(r => Assert.Single(r.JobIds)).ToList();
        var rows = await Task.WhenAll(ids.Select(id => Store.GetJobAsync(id, Ct)));
        var live = Assert.Single(rows, r => r!.Status == JobStatus.Pending)!;
        Assert.Equal(ids.Max(), live.Id);
        // Each one was cancelled by the next as it arrived.
        var ordered = rows.OrderBy(r => r!.Id).ToList();
        for (var i = 0; i < ordered.Count - 1; i++) Assert.Equal($"superseded by job {ordered[i + 1]!.Id}", ordered[i]!.Error);
    }

    [StoreFact]
    public async Task Serialize_runs_one_job_of_a_key_at_a_time_oldest_first()
    {
        var a1 = await EnqueueKeyed("k", ConcurrencyMode.Serialize);
        var a2 = await EnqueueKeyed("k", ConcurrencyMode.Serialize);
        var a3 = await EnqueueKeyed("k", ConcurrencyMode.Serialize);
        var b1 = await EnqueueKeyed("other", ConcurrencyMode.Serialize);
        var free = await Enqueue("review");

        var first = await Store.ClaimAsync("w", 10, Lease, Ct);
        Assert.Equal([a1, b1, free], first.Select(j => j.Id).Order());
        Assert.Empty(await Store.ClaimAsync("w", 10, Lease, Ct)); // a2 waits for a1, a3 for a2

        // A failed attempt that will be retried keeps its place: a2 does not overtake it.
        var a1Job = first.Single(j => j.Id == a1);
        Assert.True(await Store.FailAsync(a1Job.Lease, new JobFailure("flaky", null, Time.GetUtcNow().AddSeconds(10)), Ct));
        Assert.Empty(await Store.ClaimAsync("w", 10, Lease, Ct));
        Time.Advance(TimeSpan.FromSeconds(10));
        var retried = Assert.Single(await Store.ClaimAsync("w", 10, Lease, Ct));
        Assert.Equal(a1, retried.Id);
        Assert.True(await Store.CompleteAsync(retried.Lease, null, Ct));

        var second = Assert.Single(await Store.ClaimAsync("w", 10, Lease, Ct));
        Assert.Equal(a2, second.Id);
        Assert.True(await Store.CancelJobAsync(a2, Ct)); // cancelled, not running: the key is free again
        Assert.Equal(a3, Assert.Single(await Store.ClaimAsync("w", 10, Lease, Ct)).Id);
    }

    [StoreFact]
    public async Task Serialize_holds_across_three_instances_claiming_at_once()
    {
        // Three stores on one database, as three orchestrator instances; each claims, renews once, completes.
        await using var one = await CreateOtherStoreAsync();
        await using var two = await CreateOtherStoreAsync();
        await using var three = await CreateOtherStoreAsync();
        const int Keys = 4, PerKey = 8;
        var keyOf = new Dictionary<long, string>();
        for (var n = 0; n < PerKey; n++)
            for (var k = 0; k < Keys; k++)
                keyOf[await EnqueueKeyed($"repo#{k}", ConcurrencyMode.Serialize, store: one.Store)] = $"repo#{k}";

        var intervals = new ConcurrentBag<(string Key, long Id, long From, long To)>();
        async Task Instance(IJobStore store, string owner)
        {
            for (var idle = 0; idle < 200;)
            {
                var got = await store.ClaimAsync(owner, 3, Lease, Ct);
                if (got.Count == 0) { idle++; await Task.Yield(); continue; }
                idle = 0;
                foreach (var job in got)
                {
                    // Between the claim's return and the completion's call the row is certainly running.
                    var from = Stopwatch.GetTimestamp();
                    Assert.Equal(LeaseState.Held, (await store.RenewLeasesAsync([job.Lease], Lease, Ct))[job.Id]);
                    var to = Stopwatch.GetTimestamp();
                    intervals.Add((keyOf[job.Id], job.Id, from, to));
                    Assert.True(await store.CompleteAsync(job.Lease, null, Ct));
                }
                if (intervals.Count == Keys * PerKey) return;
            }
        }
        await Task.WhenAll(new[] { (one, "i1"), (two, "i2"), (three, "i3") }.Select(s => Task.Run(() => Instance(s.Item1.Store, s.Item2))));

        Assert.Equal(Keys * PerKey, intervals.Count);
        Assert.Equal(Keys * PerKey, intervals.Select(i => i.Id).Distinct().Count());
        foreach (var key in intervals.GroupBy(i => i.Key))
        {
            var byStart = key.OrderBy(i => i.From).ToList();
            Assert.Equal(byStart.Select(i => i.Id).Order(), byStart.Select(i => i.Id)); // in queue order
            for (var i = 1; i < byStart.Count; i++)
                Assert.True(byStart[i - 1].To < byStart[i].From, $"{key.Key}: jobs {byStart[i - 1].Id} and {byStart[i].Id} ran at the same time");
        }
    }

    [StoreFact]
    public async Task Skip_records_a_new_job_cancelled_while_one_of_its_key_is_pending()
    {
        var waiting = await EnqueueKeyed("k", ConcurrencyMode.Skip);
        var skipped = await EnqueueKeyed("k", ConcurrencyMode.Skip);
        var otherKey = await EnqueueKeyed("k2", ConcurrencyMode.Skip);
        var otherType = await EnqueueKeyed("k", ConcurrencyMode.Skip, type: "lint");

        var row = (await Store.GetJobAsync(skipped, Ct))!;
        Assert.Equal(JobStatus.Cancelled, row.Status);
        Assert.Equal($"skipped: job {waiting} with the same concurrency key is pending", row.Error);
        Assert.NotNull(row.CompletedAt);
        foreach (var id in new[] { waiting, otherKey, otherType })
            Assert.Equal(JobStatus.Pending, (await Store.GetJobAsync(id, Ct))!.Status);

        // Once the pending one runs, a new job of the key is queued again (skip looks at pending jobs only).
        var claimed = await Store.ClaimAsync("w", 10, Lease, Ct);
        Assert.Contains(claimed, j => j.Id == waiting);
        var next = await EnqueueKeyed("k", ConcurrencyMode.Skip);
        Assert.Equal(JobStatus.Pending, (await Store.GetJobAsync(next, Ct))!.Status);
        Assert.Equal(JobStatus.Cancelled, (await Store.GetJobAsync(await EnqueueKeyed("k", ConcurrencyMode.Skip), Ct))!.Status);
    }

    [StoreFact]
    public async Task Skip_through_deliveries_gives_every_job_its_id_and_queues_one()
    {
        NewJob Keyed() => new("review", "{}", Concurrency: new JobConcurrency("acme/app#1", ConcurrencyMode.Skip));
        var first = await Store.RecordDeliveriesAsync([new DeliveryRecord(Event("d1"), [Keyed()]), new DeliveryRecord(Event("d2"), [Keyed()])], Ct);
        var second = await Store.RecordDeliveryAsync(Event("d3"), [Keyed()], Ct);
        var ids = first.Select(r => Assert.Single(r.JobIds)).Append(Assert.Single(second.JobIds)).ToList();
        var rows = await Task.WhenAll(ids.Select(id => Store.GetJobAsync(id, Ct)));
        Assert.Equal([JobStatus.Pending, JobStatus.Cancelled, JobStatus.Cancelled], rows.Select(r => r!.Status));
    }

    [StoreFact]
    public async Task A_hostile_key_is_stored_as_data()
    {
        // Attack: a payload field that looks like SQL ends up in the key; it must be stored and compared as text.
        var key = "x'); DELETE FROM agent_jobs; --";
        var keyless = await Enqueue();
        var a = await EnqueueKeyed(key, ConcurrencyMode.Skip);
        var b = await EnqueueKeyed(key, ConcurrencyMode.Skip);
        Assert.Equal(key, (await Store.GetJobAsync(a, Ct))!.Concurrency!.Key);
        Assert.Equal(JobStatus.Cancelled, (await Store.GetJobAsync(b, Ct))!.Status);
        Assert.Equal(JobStatus.Pending, (await Store.GetJobAsync(keyless, Ct))!.Status);
    }
}
