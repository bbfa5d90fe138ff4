using AgentFactory.Agents;
using AgentFactory.Jobs;
using AgentFactory.Orchestration;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Orchestration;

/// <summary>A superseded running agent stops at once, cleanly, and nothing of its run is written.</summary>
public sealed class SupersedeTests
{
    [Fact]
    public async Task A_running_agent_superseded_by_a_new_job_stops_at_once_and_its_result_is_not_kept()
    {
        // The clock never moves: the next regular renewal would never come, so only the supersede wake-up can stop it.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.Zero };
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starts = 0;
        var probe = new ProbeAgentKind(async (_, ct) =>
        {
            if (Interlocked.Increment(ref starts) > 1) return AgentResult.Success("review of the new head");
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { stopped.TrySetResult(); }
            return AgentResult.Success("a stale review"); // returned after the stop: must not be kept
        });
        var notifier = new RecordingNotifier();
        await using var service = await TestService.StartAsync(routingJson: ProbeAgentKind.Routing, services: s =>
        {
            s.AddSingleton<IAgentKind>(probe);
            s.AddSingleton<TimeProvider>(time);
            s.AddSingleton<IJobNotifier>(notifier);
        });
        var key = new JobConcurrency("acme/app#7", ConcurrencyMode.Supersede);
        var old = await service.Store.EnqueueAsync(new NewJob("t", "{}", Concurrency: key), default);
        await probe.WaitForStartsAsync(1);

        var newer = await service.Store.EnqueueAsync(new NewJob("t", "{}", Concurrency: key), default);

        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var done = await service.WaitForJobAsync(newer, JobStatus.Completed);
        Assert.Equal("review of the new head", done.Output);
        var superseded = (await service.Store.GetJobAsync(old, default))!;
        Assert.Equal(JobStatus.Cancelled, superseded.Status);
        Assert.Equal($"superseded by job {newer}", superseded.Error);
        Assert.Null(superseded.Output);
        Assert.DoesNotContain(old, notifier.Ended);
    }

    private sealed class RecordingNotifier : IJobNotifier
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<long> _ended = [];
        public IReadOnlyCollection<long> Ended => _ended;
        public Task JobEndedAsync(JobRecord job, JobEnding ending, CancellationToken ct)
        {
            _ended.Add(job.Id);
            return Task.CompletedTask;
        }
    }
}
