using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Postgres;

namespace AgentFactory.Tests.Queue;

public abstract partial class StoreContractTests
{
    [StoreFact]
    public async Task Migrate_again_keeps_every_row_and_the_store_keeps_working()
    {
        var before = await Enqueue(priority: 3);
        await Store.RecordDeliveryAsync(Event("m1"), [], Ct);
        await Store.MigrateAsync(Ct);
        await Store.MigrateAsync(Ct);

        var kept = await Store.GetJobAsync(before, Ct);
        Assert.NotNull(kept);
        Assert.Equal(3, kept.Priority);
        Assert.Single(await Store.ListEventsAsync(new EventQuery(), Ct));
        Assert.True(await Store.RecordDeliveryAsync(Event("m1"), [], Ct) is { Duplicate: true }, "the unique delivery index must survive a second migration");
        var after = await Enqueue();
        Assert.True(after > before);
        Assert.Equal(2, (await Store.ClaimAsync("w", 5, Lease, Ct)).Count);
    }

    [StoreFact]
    public async Task The_exclusive_run_lock_admits_one_holder_across_store_instances()
    {
        await using var other = await CreateOtherStoreAsync();
        var inside = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var holder = Store.TryRunExclusiveAsync(42, async _ => { inside.SetResult(); await release.Task; }, Ct);
        await inside.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var ran = false;
        Assert.False(await other.Store.TryRunExclusiveAsync(42, _ => { ran = true; return Task.CompletedTask; }, Ct));
        Assert.False(ran);
        Assert.True(await other.Store.TryRunExclusiveAsync(43, _ => Task.CompletedTask, Ct), "another key is another lock");

        release.SetResult();
        Assert.True(await holder);
        Assert.True(await other.Store.TryRunExclusiveAsync(42, _ => { ran = true; return Task.CompletedTask; }, Ct));
        Assert.True(ran);
    }

    [StoreFact]
    public async Task The_exclusive_run_lock_is_released_when_the_work_throws()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.TryRunExclusiveAsync(7, _ => throw new InvalidOperationException("boom"), Ct));
        Assert.True(await Store.TryRunExclusiveAsync(7, _ => Task.CompletedTask, Ct));
    }

    [StoreFact]
    public async Task Work_committed_by_another_instance_wakes_this_ones_change_feed()
    {
        await using var other = await CreateOtherStoreAsync();
        var signal = new QueueSignal();
        using var stop = new CancellationTokenSource();
        var changes = CreateChangeFeed(signal);
        var watching = Task.Run(() => changes.WatchAsync(stop.Token));
        try
        {
            // The feed may wake once when it (re)connects; after that it must stay quiet until a commit.
            await signal.WaitAsync(TimeSpan.FromSeconds(2), TimeProvider.System, Ct);
            await other.Store.EnqueueAsync(new NewJob("t", "{}"), Ct);
            Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(30), TimeProvider.System, Ct), "a commit by another instance must wake the feed");
        }
        finally
        {
            await stop.CancelAsync();
            await watching.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [StoreFact]
    public async Task Rescue_requeues_expired_leases_and_fences_out_the_stale_worker()
    {
        var id = await Enqueue(maxAttempts: 2);
        var stale = Assert.Single(await Store.ClaimAsync("dead", 1, Lease, Ct));
        Time.Advance(Lease - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await Store.RescueExpiredAsync(Ct));
        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await Store.RescueExpiredAsync(Ct));

        var row = await Store.GetJobAsync(id, Ct);
        Assert.Equal(JobStatus.Pending, row!.Status);
        Assert.Contains("lease expired", row.Error, StringComparison.Ordinal);
        Assert.Contains("dead", row.Error, StringComparison.Ordinal);
        Assert.Single(row.Errors);

        var fresh = Assert.Single(await Store.ClaimAsync("alive", 1, Lease, Ct));
        Assert.Equal(2, fresh.Attempt);
        Assert.False(await Store.CompleteAsync(stale.Lease, "late", Ct));
        Assert.False(await Store.FailAsync(stale.Lease, new JobFailure("late", null, null), Ct));
        Assert.True(await Store.CompleteAsync(fresh.Lease, "ok", Ct));
    }

    [StoreFact]
    public async Task Rescue_fails_a_job_that_used_its_last_attempt()
    {
        var id = await Enqueue(maxAttempts: 1);
        await Store.ClaimAsync("dead", 1, Lease, Ct);
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Store.RescueExpiredAsync(Ct));
        var row = await Store.GetJobAsync(id, Ct);
        Assert.Equal(JobStatus.Failed, row!.Status);
        Assert.NotNull(row.CompletedAt);
    }

    [StoreFact]
    public async Task Heartbeat_is_one_row_per_instance_refreshed()
    {
        await Store.RecordHeartbeatAsync("a", "{\"n\":1}", Ct);
        Time.Advance(TimeSpan.FromSeconds(5));
        await Store.RecordHeartbeatAsync("b", "{\"n\":1}", Ct);
        Time.Advance(TimeSpan.FromSeconds(5));
        await Store.RecordHeartbeatAsync("a", "{\"n\":2}", Ct);
        var last = await Store.GetLastHeartbeatAsync(Ct);
        Assert.Equal("a", last!.Instance);
        Assert.Equal(Time.GetUtcNow(), last.At);
        Assert.Contains("2", last.Details, StringComparison.Ordinal);
        Assert.Equal(2, (await Store.ListEventsAsync(new EventQuery("heartbeat"), Ct)).Count);
    }

    [StoreFact]
    public async Task Removing_a_heartbeat_deletes_only_that_instances_row()
    {
        await Store.RecordHeartbeatAsync("stopping", "{}", Ct);
        await Store.RecordHeartbeatAsync("running", "{}", Ct);
        await Store.RecordDeliveryAsync(Event("stopping", type: "push"), [], Ct); // a delivery whose id happens to equal the name

        await Store.RemoveHeartbeatAsync("stopping", Ct);

        Assert.Equal("running", Assert.Single(await Store.ListEventsAsync(new EventQuery("heartbeat"), Ct)).DeliveryId);
        Assert.Single(await Store.ListEventsAsync(new EventQuery("push"), Ct));
    }

    [StoreFact]
    public async Task Pruning_heartbeats_deletes_rows_not_refreshed_since_the_cutoff_and_nothing_else()
    {
        await Store.RecordHeartbeatAsync("dead", "{}", Ct);
        await Store.RecordDeliveryAsync(Event("old-delivery", type: "star"), [], Ct);
        Time.Advance(TimeSpan.FromMinutes(10));
        await Store.RecordHeartbeatAsync("alive", "{}", Ct);

        Assert.Equal(1, await Store.PruneHeartbeatsAsync(Time.GetUtcNow().AddMinutes(-5), Ct));

        Assert.Equal("alive", Assert.Single(await Store.ListEventsAsync(new EventQuery("heartbeat"), Ct)).DeliveryId);
        Assert.Single(await Store.ListEventsAsync(new EventQuery("star"), Ct));
    }

    [StoreFact]
    public async Task The_last_heartbeat_is_never_a_delivery_that_calls_itself_heartbeat()
    {
        await Store.RecordHeartbeatAsync("real", "{}", Ct);
        Time.Advance(TimeSpan.FromSeconds(5));
        await Store.RecordDeliveryAsync(Event("forged", type: "heartbeat"), [], Ct);

        Assert.Equal("real", (await Store.GetLastHeartbeatAsync(Ct))!.Instance);
    }

    [StoreFact]
    public async Task Prune_deletes_only_completed_and_cancelled_jobs_finished_before_the_cutoff()
    {
        var completed = await Enqueue();
        var failed = await Enqueue(maxAttempts: 1);
        var running = await Enqueue();
        var cancelled = await Enqueue();
        var pending = await Enqueue();
        var jobs = await Store.ClaimAsync("w", 3, Lease, Ct);
        await Store.CompleteAsync(jobs.Single(j => j.Id == completed).Lease, null, Ct);
        await Store.FailAsync(jobs.Single(j => j.Id == failed).Lease, new JobFailure("x", null, null), Ct);
        await Store.CancelJobAsync(cancelled, Ct);
        Time.Advance(TimeSpan.FromDays(8));
        var recent = await Enqueue();
        var recentJob = Assert.Single(await Store.ClaimAsync("w", 5, Lease, Ct), j => j.Id == recent);
        await Store.CompleteAsync(recentJob.Lease, null, Ct);

        var deleted = await Store.PruneAsync(Time.GetUtcNow().AddDays(-7), DateTimeOffset.MinValue, Ct);

        Assert.Equal(2, deleted);
        var left = (await Store.ListJobsAsync(new JobQuery(), Ct)).Select(j => j.Id).Order();
        Assert.Equal(new[] { failed, running, pending, recent }.Order(), left);
    }

    [StoreFact]
    public async Task Prune_deletes_old_events_no_remaining_job_references_and_heartbeats_of_instances_long_gone()
    {
        var orphan = await Store.RecordDeliveryAsync(Event("orphan", type: "star"), [], Ct);
        var withPendingJob = await Store.RecordDeliveryAsync(Event("pending-job"), [new NewJob("x", "{}")], Ct);
        var withDoneJob = await Store.RecordDeliveryAsync(Event("done-job"), [new NewJob("y", "{}", Priority: 9)], Ct);
        await Store.RecordHeartbeatAsync("instance-gone", "{}", Ct);
        await Store.RecordHeartbeatAsync("instance-alive", "{}", Ct);
        var done = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
        Assert.Equal(withDoneJob.JobIds.Single(), done.Id);
        await Store.CompleteAsync(done.Lease, null, Ct);
        Time.Advance(TimeSpan.FromDays(31));
        var fresh = await Store.RecordDeliveryAsync(Event("fresh", type: "star"), [], Ct);
        await Store.RecordHeartbeatAsync("instance-alive", "{}", Ct); // a live instance refreshes its row every tick

        var deleted = await Store.PruneAsync(Time.GetUtcNow().AddDays(-7), Time.GetUtcNow().AddDays(-30), Ct);

        Assert.Equal(4, deleted); // the completed job, both events no job refers to any more, the gone instance's heartbeat
        var events = (await Store.ListEventsAsync(new EventQuery(), Ct)).Select(e => e.Id).Order();
        var heartbeat = Assert.Single(await Store.ListEventsAsync(new EventQuery("heartbeat"), Ct));
        Assert.Equal("instance-alive", heartbeat.DeliveryId);
        Assert.Equal(new[] { withPendingJob.EventId, fresh.EventId, heartbeat.Id }.Order(), events);
        Assert.DoesNotContain(orphan.EventId, events);
        Assert.Equal(withPendingJob.EventId, (await Store.GetJobAsync(withPendingJob.JobIds.Single(), Ct))!.EventId);
    }

    [StoreFact]
    public async Task Prune_with_minimum_cutoffs_keeps_everything()
    {
        await Store.RecordDeliveryAsync(Event("d", type: "star"), [], Ct);
        var job = await Enqueue();
        await Store.CompleteAsync(Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct)).Lease, null, Ct);
        Time.Advance(TimeSpan.FromDays(3650));
        Assert.Equal(0, await Store.PruneAsync(DateTimeOffset.MinValue, DateTimeOffset.MinValue, Ct));
        Assert.NotNull(await Store.GetJobAsync(job, Ct));
        Assert.Single(await Store.ListEventsAsync(new EventQuery(), Ct));
    }
}
