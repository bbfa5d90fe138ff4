using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Postgres;

namespace AgentFactory.Tests.Queue;

public abstract partial class StoreContractTests
{
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
