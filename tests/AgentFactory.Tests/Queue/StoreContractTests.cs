using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Postgres;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Queue;

/// <summary>
/// The behaviour every IJobStore must have. Each driver (SQLite, PostgreSQL) derives from this class
/// and supplies a fresh, migrated, empty store per test; time is a FakeTimeProvider.
/// </summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
    protected QueueSignal Signal { get; } = new();
    protected IJobStore Store { get; private set; } = null!;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly CancellationToken Ct = CancellationToken.None;

    /// <summary>A new, empty store on its own database, already migrated.</summary>
    protected abstract Task<IJobStore> CreateStoreAsync(TimeProvider time, QueueSignal signal);

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => Store = await CreateStoreAsync(Time, Signal);

    public Task DisposeAsync() => DisposeStoreAsync();

    private static NewWebhookEvent Event(string delivery, string hook = "1", string type = "push") =>
        new(delivery, hook, type, null, "octo/repo", "{\"ref\":\"refs/heads/main\"}");

    private Task<long> Enqueue(string type = "t", int priority = 0, int maxAttempts = 3, DateTimeOffset? runAt = null) =>
        Store.EnqueueAsync(new NewJob(type, "{\"n\":1}", priority, maxAttempts, runAt), Ct);

    [StoreFact]
    public async Task Migrate_twice_is_harmless()
    {
        await Store.MigrateAsync(Ct);
        await Store.PingAsync(Ct);
    }

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
    public async Task Claim_takes_highest_priority_then_oldest_and_respects_limit()
    {
        var low = await Enqueue(priority: 0);
        Time.Advance(TimeSpan.FromSeconds(1));
        var highNew = await Enqueue(priority: 10);
        var lowNewer = await Enqueue(priority: 0);
        var claimed = await Store.ClaimAsync("w1", 2, Lease, Ct);
        Assert.Equal([highNew, low], claimed.Select(j => j.Id));
        var rest = await Store.ClaimAsync("w1", 5, Lease, Ct);
        Assert.Equal([lowNewer], rest.Select(j => j.Id));
    }

    [StoreFact]
    public async Task Claim_marks_running_with_lease_and_attempt()
    {
        var id = await Enqueue();
        var job = Assert.Single(await Store.ClaimAsync("w1", 1, Lease, Ct));
        Assert.Equal(id, job.Id);
        Assert.Equal(JobStatus.Running, job.Status);
        Assert.Equal(1, job.Attempt);
        Assert.Equal("w1", job.LeaseOwner);
        Assert.Equal(Time.GetUtcNow() + Lease, job.LeaseExpiresAt);
        Assert.Equal(Time.GetUtcNow(), job.StartedAt);
        Assert.Empty(await Store.ClaimAsync("w2", 1, Lease, Ct));
    }

    [StoreFact]
    public async Task Claim_skips_jobs_scheduled_for_later()
    {
        var id = await Enqueue(runAt: Time.GetUtcNow().AddMinutes(5));
        Assert.Empty(await Store.ClaimAsync("w", 1, Lease, Ct));
        Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(id, Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct)).Id);
    }

    [StoreFact]
    public async Task Concurrent_claims_never_hand_out_a_job_twice()
    {
        for (var i = 0; i < 60; i++) await Enqueue();
        var batches = await Task.WhenAll(Enumerable.Range(0, 6).Select(w =>
            Task.Run(async () =>
            {
                var mine = new List<long>();
                while (true)
                {
                    var got = await Store.ClaimAsync("w" + w, 4, Lease, Ct);
                    if (got.Count == 0) return mine;
                    mine.AddRange(got.Select(j => j.Id));
                }
            })));
        var all = batches.SelectMany(b => b).ToList();
        Assert.Equal(60, all.Count);
        Assert.Equal(60, all.Distinct().Count());
    }

    [StoreFact]
    public async Task Complete_is_fenced_on_owner_and_attempt()
    {
        await Enqueue();
        var job = Assert.Single(await Store.ClaimAsync("w1", 1, Lease, Ct));
        Assert.False(await Store.CompleteAsync(job.Lease with { Owner = "other" }, null, Ct));
        Assert.False(await Store.CompleteAsync(job.Lease with { Attempt = 2 }, null, Ct));
        Assert.True(await Store.CompleteAsync(job.Lease, "done", Ct));
        var row = await Store.GetJobAsync(job.Id, Ct);
        Assert.Equal(JobStatus.Completed, row!.Status);
        Assert.Equal("done", row.Output);
        Assert.NotNull(row.CompletedAt);
        Assert.Null(row.LeaseOwner);
        Assert.False(await Store.CompleteAsync(job.Lease, null, Ct));
    }

    [StoreFact]
    public async Task Concurrent_completions_each_get_their_own_fenced_answer()
    {
        for (var i = 0; i < 200; i++) await Store.EnqueueAsync(new NewJob("t", "{}"), Ct);
        var jobs = await Store.ClaimAsync("w", 200, TimeSpan.FromMinutes(5), Ct);

        var valid = jobs.Select(j => Task.Run(() => Store.CompleteAsync(j.Lease, "ok " + j.Id, Ct))).ToList();
        var stale = jobs.Take(50).Select(j => Task.Run(() => Store.CompleteAsync(j.Lease with { Owner = "intruder" }, "stale", Ct))).ToList();

        Assert.All(await Task.WhenAll(valid), Assert.True);
        Assert.All(await Task.WhenAll(stale), Assert.False);
        var rows = await Store.ListJobsAsync(new JobQuery(Limit: 1000), Ct);
        Assert.All(rows, r => Assert.Equal((JobStatus.Completed, "ok " + r.Id), (r.Status, r.Output)));
    }

    [StoreFact]
    public async Task Fail_with_retry_time_requeues_later_and_keeps_each_error()
    {
        var id = await Enqueue();
        var first = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
        Assert.True(await Store.FailAsync(first.Lease, new JobFailure("boom 1", "out", Time.GetUtcNow().AddSeconds(10)), Ct));
        var row = await Store.GetJobAsync(id, Ct);
        Assert.Equal(JobStatus.Pending, row!.Status);
        Assert.Equal("boom 1", row.Error);
        Assert.Empty(await Store.ClaimAsync("w", 1, Lease, Ct));

        Time.Advance(TimeSpan.FromSeconds(10));
        var second = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
        Assert.Equal(2, second.Attempt);
        Assert.True(await Store.FailAsync(second.Lease, new JobFailure("boom 2", null, null), Ct));
        row = await Store.GetJobAsync(id, Ct);
        Assert.Equal(JobStatus.Failed, row!.Status);
        Assert.Equal("boom 2", row.Error);
        Assert.Equal(["boom 1", "boom 2"], row.Errors.Select(e => e.Error));
        Assert.Equal([1, 2], row.Errors.Select(e => e.Attempt));
        Assert.NotNull(row.CompletedAt);
    }

    [StoreFact]
    public async Task Renew_extends_held_leases_and_reports_lost_ones()
    {
        await Enqueue();
        await Enqueue();
        var jobs = await Store.ClaimAsync("w", 2, Lease, Ct);
        Assert.True(await Store.CancelJobAsync(jobs[1].Id, Ct));
        Time.Advance(TimeSpan.FromSeconds(20));
        var held = await Store.RenewLeasesAsync([.. jobs.Select(j => j.Lease)], Lease, Ct);
        Assert.Equal([jobs[0].Id], held);
        Assert.Equal(Time.GetUtcNow() + Lease, (await Store.GetJobAsync(jobs[0].Id, Ct))!.LeaseExpiresAt);
        Assert.Equal(JobStatus.Cancelled, (await Store.GetJobAsync(jobs[1].Id, Ct))!.Status);
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
    public async Task Release_hands_the_job_back_without_counting_the_attempt()
    {
        var id = await Enqueue();
        var job = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
        Assert.True(await Store.ReleaseAsync(job.Lease, Ct));
        var row = await Store.GetJobAsync(id, Ct);
        Assert.Equal(JobStatus.Pending, row!.Status);
        Assert.Equal(0, row.Attempt);
        Assert.Null(row.LeaseOwner);
        Assert.Equal(1, Assert.Single(await Store.ClaimAsync("w2", 1, Lease, Ct)).Attempt);
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
    public async Task Retry_and_cancel_change_only_jobs_in_the_right_state()
    {
        var pending = await Enqueue();
        var failing = await Enqueue(maxAttempts: 1);
        var claimed = await Store.ClaimAsync("w", 2, Lease, Ct);
        var failed = claimed.Single(j => j.Id == failing);
        var done = claimed.Single(j => j.Id == pending);
        await Store.FailAsync(failed.Lease, new JobFailure("x", null, null), Ct);
        await Store.CompleteAsync(done.Lease, null, Ct);

        Assert.False(await Store.RetryJobAsync(pending, Ct));      // completed
        Assert.False(await Store.CancelJobAsync(pending, Ct));     // completed
        Assert.True(await Store.RetryJobAsync(failing, Ct));
        var row = await Store.GetJobAsync(failing, Ct);
        Assert.Equal(JobStatus.Pending, row!.Status);
        Assert.Equal(0, row.Attempt);
        Assert.Single(row.Errors); // history kept
        Assert.True(await Store.CancelJobAsync(failing, Ct));
        Assert.Equal(JobStatus.Cancelled, (await Store.GetJobAsync(failing, Ct))!.Status);
        Assert.Empty(await Store.ClaimAsync("w", 5, Lease, Ct));
        Assert.False(await Store.RetryJobAsync(999_999, Ct));
    }

    [StoreFact]
    public async Task Counts_and_filters_reflect_the_rows()
    {
        await Enqueue("a");
        await Enqueue("b");
        await Enqueue("b");
        var job = (await Store.ClaimAsync("w", 1, Lease, Ct)).Single();
        await Store.CompleteAsync(job.Lease, null, Ct);
        var counts = await Store.CountJobsByStatusAsync(Ct);
        Assert.Equal(2, counts[JobStatus.Pending]);
        Assert.Equal(1, counts[JobStatus.Completed]);
        Assert.Equal(0, counts[JobStatus.Failed]);
        Assert.Equal(2, (await Store.ListJobsAsync(new JobQuery(JobType: "b"), Ct)).Count);
        Assert.Equal(2, (await Store.ListJobsAsync(new JobQuery(Status: JobStatus.Pending), Ct)).Count);
        var newest = await Store.ListJobsAsync(new JobQuery(Limit: 1), Ct);
        var older = await Store.ListJobsAsync(new JobQuery(Limit: 10, BeforeId: newest[0].Id), Ct);
        Assert.Equal(2, older.Count);
        Assert.All(older, j => Assert.True(j.Id < newest[0].Id));
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

    [StoreFact]
    public async Task CountJobsByType_counts_each_type_and_status_pair()
    {
        await Enqueue("a");
        await Enqueue("b");
        await Enqueue("b", priority: 9);
        var job = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct)); // the b with priority 9
        await Store.CompleteAsync(job.Lease, null, Ct);
        var counts = await Store.CountJobsByTypeAsync(Ct);
        Assert.Equal(
            [new JobTypeCount("a", JobStatus.Pending, 1), new JobTypeCount("b", JobStatus.Completed, 1), new JobTypeCount("b", JobStatus.Pending, 1)],
            counts.OrderBy(c => c.JobType, StringComparer.Ordinal).ThenBy(c => c.Status.ToDb(), StringComparer.Ordinal));
    }

    [StoreFact]
    public async Task CountFinishedJobs_buckets_completed_and_failed_by_completion_time_and_skips_cancelled()
    {
        var since = Time.GetUtcNow().AddSeconds(30);
        async Task Finish(bool ok)
        {
            await Enqueue(maxAttempts: 1);
            var job = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
            if (ok) await Store.CompleteAsync(job.Lease, null, Ct);
            else await Store.FailAsync(job.Lease, new JobFailure("x", null, null), Ct);
        }
        await Finish(ok: true);                       // before since: not counted
        Time.Advance(TimeSpan.FromSeconds(30));
        await Finish(ok: true);                       // bucket 0 (at since exactly)
        Time.Advance(TimeSpan.FromSeconds(59));
        await Finish(ok: false);                      // bucket 0
        Time.Advance(TimeSpan.FromSeconds(121));
        await Finish(ok: true);                       // bucket 3 (180 s)
        await Finish(ok: true);
        await Store.CancelJobAsync(await Enqueue(), Ct); // cancelled: not a throughput figure

        var buckets = await Store.CountFinishedJobsAsync(since, TimeSpan.FromMinutes(1), Ct);
        Assert.Equal(
            [new FinishedJobsBucket(since, 1, 1), new FinishedJobsBucket(since.AddMinutes(3), 2, 0)],
            buckets);
        Assert.Empty(await Store.CountFinishedJobsAsync(Time.GetUtcNow().AddSeconds(1), TimeSpan.FromMinutes(1), Ct));
    }

    [StoreFact]
    public async Task ListJobIdsByEvent_maps_each_event_to_the_jobs_it_produced()
    {
        var two = await Store.RecordDeliveryAsync(Event("d1"), [new NewJob("x", "{}"), new NewJob("y", "{}")], Ct);
        var none = await Store.RecordDeliveryAsync(Event("d2", type: "star"), [], Ct);
        var one = await Store.RecordDeliveryAsync(Event("d3"), [new NewJob("x", "{}")], Ct);
        await Enqueue(); // no event
        var map = await Store.ListJobIdsByEventAsync([two.EventId, none.EventId, one.EventId, 999_999], Ct);
        Assert.Equal(2, map.Count);
        Assert.Equal(two.JobIds, map[two.EventId]);
        Assert.Equal(one.JobIds, map[one.EventId]);
        Assert.Empty(await Store.ListJobIdsByEventAsync([], Ct));
    }

    [StoreFact]
    public async Task ListJobs_search_matches_type_error_or_payload_case_insensitively_and_literally()
    {
        var byType = await Store.EnqueueAsync(new NewJob("Deploy_Site", "{}"), Ct);
        var byPayload = await Store.EnqueueAsync(new NewJob("t", "{\"repo\":\"Octo/Widgets\",\"note\":\"50%_off\"}"), Ct);
        var byError = await Store.EnqueueAsync(new NewJob("t", "{}", MaxAttempts: 1), Ct);
        await Store.EnqueueAsync(new NewJob("t", "{\"note\":\"50Xoff\"}"), Ct);
        var claimed = await Store.ClaimAsync("w", 10, Lease, Ct);
        await Store.FailAsync(claimed.Single(j => j.Id == byError).Lease, new JobFailure("Upstream TIMEOUT after 30 s", null, null), Ct);

        async Task<long[]> Search(string text, JobStatus? status = null) =>
            [.. (await Store.ListJobsAsync(new JobQuery(Status: status, Search: text), Ct)).Select(j => j.Id)];
        Assert.Equal([byType], await Search("deploy_"));
        Assert.Equal([byPayload], await Search("octo/widgets"));
        Assert.Equal([byPayload], await Search("50%_"));
        Assert.Equal([byError], await Search("timeout"));
        Assert.Equal([byError], await Search("timeout", JobStatus.Failed));
        Assert.Empty(await Search("timeout", JobStatus.Pending));
        Assert.Empty(await Search("no such text"));
    }

    [StoreFact]
    public async Task ListEvents_can_leave_out_heartbeats()
    {
        await Store.RecordHeartbeatAsync("a", "{}", Ct);
        await Store.RecordDeliveryAsync(Event("d1"), [], Ct);
        Assert.Equal(2, (await Store.ListEventsAsync(new EventQuery(), Ct)).Count);
        var deliveries = await Store.ListEventsAsync(new EventQuery(IncludeHeartbeats: false), Ct);
        Assert.Equal("push", Assert.Single(deliveries).EventType);
    }
}
