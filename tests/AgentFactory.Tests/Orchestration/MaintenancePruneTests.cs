using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Orchestration;

/// <summary>The orchestrator's tick applies RETENTION_COMPLETED_DAYS / RETENTION_EVENTS_DAYS through IJobStore.PruneAsync.</summary>
public sealed class MaintenancePruneTests
{
    [Fact]
    public async Task A_completed_job_past_its_retention_is_deleted_at_the_next_tick()
    {
        await using var service = await TestService.StartAsync(Roles.Orchestrator, configure: o =>
        {
            o.TickInterval = TimeSpan.FromSeconds(1);
            o.RetentionCompleted = TimeSpan.FromMilliseconds(1);
        });
        // A pending job (due in an hour), older than the retention too, must survive every prune.
        var pending = await service.Store.EnqueueAsync(new NewJob("later", "{}", RunAt: DateTimeOffset.UtcNow.AddHours(1)), CancellationToken.None);
        var done = await service.Store.EnqueueAsync(new NewJob("anything", "{}"), CancellationToken.None);

        // Only completed and cancelled rows are pruned, and nothing cancels this one: once the row is
        // gone it has completed and been pruned. (Waiting for "completed" first would race the prune.)
        await Wait.UntilAsync(async () => await service.Store.GetJobAsync(done, CancellationToken.None) is null, "the completed job to be pruned", service.JobsChanged);
        var firstBeat = (await service.Store.GetLastHeartbeatAsync(CancellationToken.None))!.At;
        await Wait.UntilAsync(async () => (await service.Store.GetLastHeartbeatAsync(CancellationToken.None))!.At >= firstBeat.AddSeconds(2), "two more ticks");
        Assert.Equal(JobStatus.Pending, (await service.Store.GetJobAsync(pending, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Zero_retention_keeps_finished_jobs()
    {
        await using var service = await TestService.StartAsync(Roles.Orchestrator, configure: o =>
        {
            o.TickInterval = TimeSpan.FromSeconds(1);
            o.RetentionCompleted = TimeSpan.Zero;
            o.RetentionEvents = TimeSpan.Zero;
        });
        var done = await service.Store.EnqueueAsync(new NewJob("anything", "{}"), CancellationToken.None);
        await service.WaitForJobAsync(done, JobStatus.Completed);
        var heartbeats = await service.Store.ListEventsAsync(new Events.EventQuery("heartbeat"), CancellationToken.None);
        var firstBeat = Assert.Single(heartbeats).ReceivedAt;

        // Two more ticks (heartbeats) have passed, each with its prune: the job is still there.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await service.Store.GetLastHeartbeatAsync(deadline.Token))!.At < firstBeat.AddSeconds(2))
            await Task.Delay(50, deadline.Token);
        Assert.NotNull(await service.Store.GetJobAsync(done, CancellationToken.None));
    }
}
