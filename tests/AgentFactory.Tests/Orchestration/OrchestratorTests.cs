using AgentFactory.Agents;
using AgentFactory.Jobs;
using AgentFactory.Orchestration;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Orchestration;

/// <summary>The claim loop on the real SQLite queue, with an injected clock where timing matters.</summary>
public sealed class OrchestratorTests
{
    private static Task<TestService> Start(ProbeAgentKind probe, Action<AgentFactory.Options.AgentFactoryOptions>? configure = null,
        FakeTimeProvider? time = null, string routing = ProbeAgentKind.Routing, Func<AgentFactory.Queue.IJobStore, Task>? seed = null,
        IJobNotifier? notifier = null) =>
        TestService.StartAsync(routingJson: routing, configure: configure, seed: seed, services: s =>
        {
            s.AddSingleton<IAgentKind>(probe);
            if (notifier is not null) s.AddSingleton(notifier);
            if (time is not null) s.AddSingleton<TimeProvider>(time);
            s.AddSingleton(new OutcomePolicy(TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), () => 0.5)); // no jitter
        });

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.Zero };

    [Fact]
    public async Task New_job_starts_at_once_not_at_the_next_tick()
    {
        var probe = new ProbeAgentKind((_, _) => Task.FromResult(AgentResult.Success()));
        await using var service = await Start(probe, o => o.TickInterval = TimeSpan.FromHours(1));
        var id = await service.Store.EnqueueAsync(new NewJob("t", "{}"), default);
        await probe.WaitForStartsAsync(1); // an hour-long tick would time this out
        Assert.Equal(JobStatus.Completed, (await service.WaitForJobAsync(id, JobStatus.Completed)).Status);
    }

    [Fact]
    public async Task Never_runs_more_than_max_concurrent_jobs()
    {
        var gate = new TaskCompletionSource();
        var probe = new ProbeAgentKind(async (_, ct) => { await gate.Task.WaitAsync(ct); return AgentResult.Success(); });
        await using var service = await Start(probe, o => o.MaxConcurrentJobs = 2);
        var ids = new List<long>();
        for (var i = 0; i < 5; i++) ids.Add(await service.Store.EnqueueAsync(new NewJob("t", "{}"), default));
        await probe.WaitForStartsAsync(2);
        var counts = await service.Store.CountJobsByStatusAsync(default);
        Assert.Equal(2, counts[JobStatus.Running]);
        Assert.Equal(3, counts[JobStatus.Pending]);
        gate.SetResult();
        foreach (var id in ids) await service.WaitForJobAsync(id, JobStatus.Completed);
        Assert.Equal(2, probe.MaxConcurrent);
    }

    [Fact]
    public async Task A_slot_is_free_once_the_agent_returns_while_its_outcome_is_still_being_notified()
    {
        var probe = new ProbeAgentKind((_, _) => Task.FromResult(AgentResult.Success()));
        var notifier = new StalledNotifier();
        await using var service = await Start(probe, o => o.MaxConcurrentJobs = 1, notifier: notifier);
        var first = await service.Store.EnqueueAsync(new NewJob("t", "{}"), default);
        await notifier.FirstCall.WaitAsync(TimeSpan.FromSeconds(30)); // written as completed; its notification hangs
        var second = await service.Store.EnqueueAsync(new NewJob("t", "{}"), default);
        await probe.WaitForStartsAsync(2); // the stalled notification does not hold the only slot
        notifier.Release();
        await service.WaitForJobAsync(first, JobStatus.Completed);
        await service.WaitForJobAsync(second, JobStatus.Completed);
        Assert.Equal(1, probe.MaxConcurrent);
    }

    /// <summary>A chat API that does not answer: the first job-ended notification waits until released.</summary>
    private sealed class StalledNotifier : IJobNotifier
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public Task FirstCall => _first.Task;

        public void Release() => _release.TrySetResult();

        public Task JobEndedAsync(JobRecord job, JobEnding ending, CancellationToken ct)
        {
            if (Interlocked.Increment(ref _calls) > 1) return Task.CompletedTask;
            _first.TrySetResult();
            return _release.Task;
        }
    }

    [Fact]
    public async Task Higher_priority_runs_first_then_older()
    {
        var blocker = new TaskCompletionSource();
        var probe = new ProbeAgentKind(async (job, ct) =>
        {
            if (job.JobType == "blocker") await blocker.Task.WaitAsync(ct);
            return AgentResult.Success();
        });
        await using var service = await Start(probe, o => o.MaxConcurrentJobs = 1);
        await service.Store.EnqueueAsync(new NewJob("blocker", "{}"), default);
        await probe.WaitForStartsAsync(1);
        var low1 = await service.Store.EnqueueAsync(new NewJob("low-old", "{}", 0), default);
        var low2 = await service.Store.EnqueueAsync(new NewJob("low-new", "{}", 0), default);
        var high = await service.Store.EnqueueAsync(new NewJob("high", "{}", 10), default);
        blocker.SetResult();
        await service.WaitForJobAsync(low2, JobStatus.Completed);
        Assert.Equal(["blocker", "high", "low-old", "low-new"], probe.Started.Select(j => j.JobType));
        _ = low1; _ = high;
    }

    [Fact]
    public async Task Failed_attempt_is_retried_after_the_backoff_and_keeps_its_error()
    {
        var time = Clock();
        var probe = new ProbeAgentKind((job, _) => Task.FromResult(job.Attempt == 1 ? AgentResult.Failure("flaky upstream") : AgentResult.Success("second time lucky")));
        await using var service = await Start(probe, time: time);
        var id = await service.Store.EnqueueAsync(new NewJob("t", "{}", MaxAttempts: 3), default);

        var waiting = await service.WaitForJobAsync(id, JobStatus.Pending, JobStatus.Failed) is { Attempt: 1 } j ? j : await WaitAttempt(service, id, 1);
        Assert.Equal(time.GetUtcNow().AddSeconds(10), waiting.ScheduledAt); // base 10 s × 2^0, no jitter
        Assert.Equal("flaky upstream", waiting.Error);

        time.Advance(TimeSpan.FromSeconds(10));
        var done = await service.WaitForJobAsync(id, JobStatus.Completed);
        Assert.Equal(2, done.Attempt);
        Assert.Equal("second time lucky", done.Output);
        Assert.Equal("flaky upstream", Assert.Single(done.Errors).Error);
    }

    /// <summary>Until attempt <paramref name="attempt"/> has been written back; fails the test at the deadline instead of spinning.</summary>
    private static Task<JobRecord> WaitAttempt(TestService service, long id, int attempt) =>
        Wait.ForAsync(async () => await service.Store.GetJobAsync(id, default) is { Status: not JobStatus.Running } job && job.Attempt >= attempt ? job : null,
            $"attempt {attempt} of job {id} to be written back", service.JobsChanged);

    [Fact]
    public async Task Job_that_keeps_failing_ends_failed_with_every_attempts_error()
    {
        var time = Clock();
        var probe = new ProbeAgentKind((job, _) => Task.FromResult(AgentResult.Failure($"broken #{job.Attempt}")));
        await using var service = await Start(probe, time: time);
        var id = await service.Store.EnqueueAsync(new NewJob("t", "{}", MaxAttempts: 3), default);
        await probe.WaitForStartsAsync(1);
        await WaitAttempt(service, id, 1);
        time.Advance(TimeSpan.FromSeconds(10));
        await probe.WaitForStartsAsync(2);
        await WaitAttempt(service, id, 2);
        time.Advance(TimeSpan.FromSeconds(20));
        var failed = await service.WaitForJobAsync(id, JobStatus.Failed);
        Assert.Equal(["broken #1", "broken #2", "broken #3"], failed.Errors.Select(e => e.Error));
        Assert.Equal("broken #3", failed.Error);
    }

    [Fact]
    public async Task Permanent_failure_is_not_retried()
    {
        var probe = new ProbeAgentKind((_, _) => throw new PermanentAgentException("GitHub said 404: repository not found"));
        await using var service = await Start(probe);
        var id = await service.Store.EnqueueAsync(new NewJob("t", "{}", MaxAttempts: 5), default);
        var failed = await service.WaitForJobAsync(id, JobStatus.Failed);
        Assert.Equal(1, failed.Attempt);
        Assert.Equal("GitHub said 404: repository not found", failed.Error);
    }

    [Fact]
    public async Task Agent_exception_becomes_its_message_alone_with_no_dotnet_type_name()
    {
        var probe = new ProbeAgentKind((_, _) => throw new AgentFactory.Workspace.GitException("git fetch failed (exit code 128): fatal: repository not found"));
        await using var service = await Start(probe);
        var id = await service.Store.EnqueueAsync(new NewJob("t", "{}", MaxAttempts: 1), default);
        var failed = await service.WaitForJobAsync(id, JobStatus.Failed);
        Assert.Equal("git fetch failed (exit code 128): fatal: repository not found", failed.Error);
    }

    [Fact]
    public async Task Agent_bug_is_reported_as_unexpected_with_no_dotnet_type_name()
    {
        var probe = new ProbeAgentKind((_, _) => throw new NullReferenceException("Object reference not set to an instance of an object."));
        await using var service = await Start(probe);
        var id = await service.Store.EnqueueAsync(new NewJob("t", "{}", MaxAttempts: 1), default);
        var failed = await service.WaitForJobAsync(id, JobStatus.Failed);
        Assert.StartsWith("Agent 'probe' failed unexpectedly (Object reference not set", failed.Error, StringComparison.Ordinal);
        Assert.Contains($"the service log has the details (job {id})", failed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attempt_that_runs_past_its_timeout_is_cancelled_and_counted_as_failed()
    {
        var time = Clock();
        var routing = ProbeAgentKind.Routing.Replace("\"timeout\": \"00:10:00\"", "\"timeout\": \"00:00:05\"", StringComparison.Ordinal)
            .Replace("\"maxAttempts\": 3", "\"maxAttempts\": 1", StringComparison.Ordinal);
        var sawCancel = new TaskCompletionSource();
        var probe = new ProbeAgentKind(async (_, ct) =>
        {
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { sawCancel.TrySetResult(); throw; }
            return AgentResult.Success();
        });
        await using var service = await Start(probe, time: time, routing: routing);
        var id = await service.Store.EnqueueAsync(new NewJob("t", "{}", MaxAttempts: 1), default);
        await probe.WaitForStartsAsync(1);
        time.Advance(TimeSpan.FromSeconds(5));
        await sawCancel.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var failed = await service.WaitForJobAsync(id, JobStatus.Failed);
        Assert.Contains("timed out after 00:00:05", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_running_job_stops_its_agent_at_the_next_renewal()
    {
        var time = Clock();
        var sawCancel = new TaskCompletionSource();
        var probe = new ProbeAgentKind(async (_, ct) =>
        {
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { sawCancel.TrySetResult(); throw; }
            return AgentResult.Success();
        });
        await using var service = await Start(probe, time: time);
        var id = await service.Store.EnqueueAsync(new NewJob("t", "{}"), default);
        await probe.WaitForStartsAsync(1);
        Assert.True(await service.Store.CancelJobAsync(id, default));
        time.Advance(service.Options.JobLease / 3);
        await sawCancel.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Cancelled, (await service.Store.GetJobAsync(id, default))!.Status);
        Assert.Single(probe.Started);
    }

    [Fact]
    public async Task Job_of_a_crashed_worker_is_rescued_when_its_lease_expires_and_runs_again()
    {
        var time = Clock();
        var probe = new ProbeAgentKind((_, _) => Task.FromResult(AgentResult.Success("rescued")));
        long id = 0;
        // Before this instance starts, another one claimed the job and then died without renewing.
        await using var service = await Start(probe, time: time, seed: async store =>
        {
            id = await store.EnqueueAsync(new NewJob("t", "{}"), default);
            Assert.Single(await store.ClaimAsync("crashed-worker", 1, TimeSpan.FromSeconds(30), default));
        });
        Assert.Equal(JobStatus.Running, (await service.Store.GetJobAsync(id, default))!.Status);
        time.Advance(service.Options.JobLease + TimeSpan.FromSeconds(1));
        var done = await service.WaitForJobAsync(id, JobStatus.Completed);
        Assert.Equal(2, done.Attempt);
        Assert.Contains("lease expired: worker crashed-worker", Assert.Single(done.Errors).Error, StringComparison.Ordinal);
        Assert.Single(probe.Started);
    }

    [Fact]
    public async Task Stopping_lets_a_short_job_finish_within_the_grace_period()
    {
        // The agent ends only once the stop has begun: the job finishing proves the grace period let it.
        var release = new TaskCompletionSource();
        var probe = new ProbeAgentKind(async (_, _) => { await release.Task; return AgentResult.Success("finished"); });
        var service = await Start(probe, o => o.ShutdownGrace = TimeSpan.FromSeconds(30));
        var id = await service.Store.EnqueueAsync(new NewJob("t", "{}"), default);
        await probe.WaitForStartsAsync(1);
        var store = service.Store;
        var stopping = service.Host.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping;
        var stoppingBegan = new TaskCompletionSource();
        using (stopping.Register(() => stoppingBegan.TrySetResult()))
        {
            var stop = service.Host.StopAsync();
            await stoppingBegan.Task.WaitAsync(Wait.Deadline);
            Assert.Equal(JobStatus.Running, (await store.GetJobAsync(id, default))!.Status);
            release.SetResult();
            await stop;
        }
        var row = (await store.GetJobAsync(id, default))!;
        Assert.Equal(JobStatus.Completed, row.Status);
        Assert.Equal("finished", row.Output);
        await service.DisposeAsync();
    }

    [Fact]
    public async Task Stopping_hands_back_a_job_that_outlives_the_grace_period_without_counting_it()
    {
        var probe = new ProbeAgentKind(async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); return AgentResult.Success(); });
        var service = await Start(probe, o => o.ShutdownGrace = TimeSpan.FromMilliseconds(200));
        var id = await service.Store.EnqueueAsync(new NewJob("t", "{}"), default);
        await probe.WaitForStartsAsync(1);
        var store = service.Store;
        await service.Host.StopAsync();
        var row = await store.GetJobAsync(id, default);
        Assert.Equal(JobStatus.Pending, row!.Status);
        Assert.Equal(0, row.Attempt);
        Assert.Null(row.LeaseOwner);
        await service.DisposeAsync();
    }
}
