namespace AgentFactory.Tests.Support;

/// <summary>
/// The one way tests wait: on a signal that something changed, checking the condition after each, with a
/// deadline that fails the test with what it waited for instead of spinning forever. The deadline only
/// bounds a broken test; it is not a timing assertion.
/// </summary>
public static class Wait
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Checks <paramref name="condition"/> now and after each pulse of <paramref name="signal"/> (or every
    /// <paramref name="recheck"/> when nothing pulses, as a safety net for changes no signal reports).
    /// </summary>
    public static async Task<T> ForAsync<T>(Func<Task<T?>> condition, string what, Pulse? signal = null, TimeSpan? within = null, TimeSpan? recheck = null) where T : class
    {
        var deadline = DateTime.UtcNow + (within ?? Deadline);
        while (true)
        {
            var version = signal?.Version ?? 0;
            if (await condition() is { } found) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) Assert.Fail($"Timed out after {(within ?? Deadline).TotalSeconds:0} s waiting for {what}.");
            var pause = recheck ?? TimeSpan.FromMilliseconds(signal is null ? 20 : 500);
            if (signal is null) await Task.Delay(pause < left ? pause : left);
            else await signal.WaitAsync(version, pause < left ? pause : left);
        }
    }

    public static Task UntilAsync(Func<Task<bool>> condition, string what, Pulse? signal = null, TimeSpan? within = null) =>
        ForAsync(async () => await condition() ? "" : null, what, signal, within);

    public static Task UntilAsync(Func<bool> condition, string what, Pulse? signal = null, TimeSpan? within = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, signal, within);
}

/// <summary>A signal that counts pulses, so a waiter that looked at version N wakes for any pulse after it.</summary>
public sealed class Pulse
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;

    public long Version { get { lock (_lock) return _version; } }

    public void Fire()
    {
        TaskCompletionSource fired;
        lock (_lock)
        {
            _version++;
            fired = _next;
            _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        fired.TrySetResult();
    }

    /// <summary>Returns at the first pulse after <paramref name="seen"/>, or when <paramref name="timeout"/> has passed.</summary>
    public async Task WaitAsync(long seen, TimeSpan timeout)
    {
        Task next;
        lock (_lock)
        {
            if (_version != seen) return;
            next = _next.Task;
        }
        await Task.WhenAny(next, Task.Delay(timeout));
    }
}
