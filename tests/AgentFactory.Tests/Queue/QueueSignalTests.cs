using AgentFactory.Queue;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Queue;

public sealed class QueueSignalTests
{
    private static readonly TimeSpan Long = TimeSpan.FromHours(1);

    [Fact]
    public async Task A_notify_before_the_wait_returns_true_at_once()
    {
        var signal = new QueueSignal();
        signal.Notify();
        Assert.True(await signal.WaitAsync(Long, new FakeTimeProvider(), CancellationToken.None));
    }

    [Fact]
    public async Task Many_notifies_collapse_into_one_wake_up()
    {
        var signal = new QueueSignal();
        var time = new FakeTimeProvider();
        signal.Notify();
        signal.Notify();
        signal.Notify();
        Assert.True(await signal.WaitAsync(Long, time, CancellationToken.None));
        var second = signal.WaitAsync(TimeSpan.FromSeconds(5), time, CancellationToken.None);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(await second);
    }

    [Fact]
    public async Task A_notify_during_the_wait_wakes_it_with_true()
    {
        var signal = new QueueSignal();
        var wait = signal.WaitAsync(Long, new FakeTimeProvider(), CancellationToken.None);
        Assert.False(wait.IsCompleted);
        signal.Notify();
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task The_timeout_returns_false_only_once_it_has_elapsed()
    {
        var signal = new QueueSignal();
        var time = new FakeTimeProvider();
        var wait = signal.WaitAsync(TimeSpan.FromSeconds(60), time, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Cancelling_the_callers_token_throws_instead_of_returning()
    {
        var signal = new QueueSignal();
        using var cts = new CancellationTokenSource();
        var wait = signal.WaitAsync(Long, new FakeTimeProvider(), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }

    [Fact]
    public async Task A_wake_up_is_not_lost_when_it_arrives_after_a_timed_out_wait()
    {
        var signal = new QueueSignal();
        var time = new FakeTimeProvider();
        var first = signal.WaitAsync(TimeSpan.FromSeconds(1), time, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await first);
        signal.Notify();
        Assert.True(await signal.WaitAsync(Long, time, CancellationToken.None));
    }

    /// <summary>
    /// The idle crash (issue 10, item 1): a timeout timer's callback that was already dispatched when the
    /// wait ended ran after the wait disposed what it cancels, threw ObjectDisposedException on a pool
    /// thread and took the service down. Here every timer callback is run again after the wait is over.
    /// </summary>
    [Fact]
    public async Task A_timer_callback_that_runs_after_the_wait_ended_does_not_throw()
    {
        var signal = new QueueSignal();
        var time = new LateCallbackTimeProvider();
        var wait = signal.WaitAsync(TimeSpan.FromSeconds(1), time, CancellationToken.None);
        signal.Notify();
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.NotEmpty(time.Callbacks);
        foreach (var (callback, state) in time.Callbacks) callback(state); // what a late thread-pool dispatch does
        signal.Notify();
        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(1), time, CancellationToken.None));
    }

    [Fact]
    public async Task A_lease_change_before_the_wait_returns_true_at_once_and_is_used_up()
    {
        var signal = new QueueSignal();
        var time = new FakeTimeProvider();
        signal.NotifyLeasesChanged();
        signal.NotifyLeasesChanged();
        Assert.True(await signal.WaitLeasesChangedAsync(Long, time, CancellationToken.None));
        var second = signal.WaitLeasesChangedAsync(TimeSpan.FromSeconds(5), time, CancellationToken.None);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(await second);
    }

    [Fact]
    public async Task A_lease_change_during_the_wait_wakes_it_with_true()
    {
        var signal = new QueueSignal();
        var wait = signal.WaitLeasesChangedAsync(Long, new FakeTimeProvider(), CancellationToken.None);
        Assert.False(wait.IsCompleted);
        signal.NotifyLeasesChanged();
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>New work must not make the renewal loop look at leases early, nor a cancellation look like new work.</summary>
    [Fact]
    public async Task New_work_and_lease_changes_are_two_separate_wake_ups()
    {
        var signal = new QueueSignal();
        var time = new FakeTimeProvider();
        var leases = signal.WaitLeasesChangedAsync(TimeSpan.FromSeconds(5), time, CancellationToken.None);
        signal.Notify();
        Assert.False(leases.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(await leases);
        Assert.True(await signal.WaitAsync(Long, time, CancellationToken.None)); // the work notification is still there

        var work = signal.WaitAsync(TimeSpan.FromSeconds(5), time, CancellationToken.None);
        signal.NotifyLeasesChanged();
        Assert.False(work.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(await work);
        Assert.True(await signal.WaitLeasesChangedAsync(Long, time, CancellationToken.None));
    }

    [Fact]
    public async Task The_lease_wait_times_out_with_false_and_throws_when_the_caller_cancels()
    {
        var signal = new QueueSignal();
        var time = new FakeTimeProvider();
        var timedOut = signal.WaitLeasesChangedAsync(TimeSpan.FromSeconds(60), time, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(timedOut.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await timedOut.WaitAsync(TimeSpan.FromSeconds(10)));

        using var cts = new CancellationTokenSource();
        var cancelled = signal.WaitLeasesChangedAsync(Long, time, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
    }

    /// <summary>A busy orchestrator finds its wake-up already there on most turns: that costs no timer at all.</summary>
    [Fact]
    public async Task A_pending_wake_up_is_taken_without_starting_a_timeout_timer()
    {
        var signal = new QueueSignal();
        var time = new LateCallbackTimeProvider();
        signal.Notify();
        signal.NotifyLeasesChanged();
        Assert.True(await signal.WaitAsync(Long, time, CancellationToken.None));
        Assert.True(await signal.WaitLeasesChangedAsync(Long, time, CancellationToken.None));
        Assert.Empty(time.Callbacks);
    }

    /// <summary>Keeps every timer's callback so a test can run it at the worst moment: after disposal.</summary>
    private sealed class LateCallbackTimeProvider : TimeProvider
    {
        public List<(TimerCallback Callback, object? State)> Callbacks { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Callbacks.Add((callback, state));
            return new InertTimer();
        }

        private sealed class InertTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;
            public void Dispose() { }
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
