using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Postgres;

namespace AgentFactory.Tests.Queue;

public abstract partial class StoreContractTests
{
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
    public async Task Renew_answers_each_lease_held_cancelled_or_lost_in_one_call()
    {
        for (var i = 0; i < 4; i++) await Enqueue();
        var jobs = await Store.ClaimAsync("w", 4, Lease, Ct);
        Assert.True(await Store.CancelJobAsync(jobs[1].Id, Ct));
        Time.Advance(TimeSpan.FromSeconds(20));
        var stale = jobs[2].Lease with { Attempt = 7 };      // another attempt owns the row now
        var foreign = jobs[3].Lease with { Owner = "other" }; // another instance's lease
        var gone = new JobLease(999_999, "w", 1);             // no such row
        var states = await Store.RenewLeasesAsync([jobs[0].Lease, jobs[1].Lease, stale, foreign, gone], Lease, Ct);

        Assert.Equal(LeaseState.Held, states[jobs[0].Id]);
        Assert.Equal(LeaseState.Cancelled, states[jobs[1].Id]);
        Assert.Equal(LeaseState.Lost, states[jobs[2].Id]);
        Assert.Equal(LeaseState.Lost, states[jobs[3].Id]);
        Assert.Equal(LeaseState.Lost, states[gone.JobId]);
        Assert.Equal(5, states.Count);
        Assert.Equal(Time.GetUtcNow() + Lease, (await Store.GetJobAsync(jobs[0].Id, Ct))!.LeaseExpiresAt);
        // Only the held lease was extended: the others keep their original expiry.
        var claimedExpiry = Time.GetUtcNow() - TimeSpan.FromSeconds(20) + Lease;
        Assert.Equal(claimedExpiry, (await Store.GetJobAsync(jobs[2].Id, Ct))!.LeaseExpiresAt);
        Assert.Equal(claimedExpiry, (await Store.GetJobAsync(jobs[3].Id, Ct))!.LeaseExpiresAt);
        Assert.Equal(JobStatus.Cancelled, (await Store.GetJobAsync(jobs[1].Id, Ct))!.Status);
    }

    [StoreFact]
    public async Task Renew_of_no_leases_answers_nothing()
    {
        Assert.Empty(await Store.RenewLeasesAsync([], Lease, Ct));
    }

    [StoreFact]
    public async Task A_rescued_lease_is_lost_to_its_old_worker()
    {
        await Enqueue();
        var job = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Store.RescueExpiredAsync(Ct));
        var states = await Store.RenewLeasesAsync([job.Lease], Lease, Ct);
        Assert.Equal(LeaseState.Lost, states[job.Id]);
        Assert.Equal(JobStatus.Pending, (await Store.GetJobAsync(job.Id, Ct))!.Status);
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
}
