using System.Threading.Channels;

namespace AgentFactory.Queue;

/// <summary>
/// Wakes the orchestrator when work may be available: new jobs, a freed slot, a remote NOTIFY.
/// Auto-reset: many notifications before a wait collapse into one wake-up. A second, separate wake-up
/// (<see cref="NotifyLeasesChanged"/>) says a running job was cancelled (superseded, or by an operator),
/// so its lease is checked now rather than at the next renewal.
/// </summary>
public sealed class QueueSignal
{
    private readonly Channel<bool> _channel = NewChannel();
    private readonly Channel<bool> _leases = NewChannel();

    // Stryker disable once Boolean : the item's value is never read; any item wakes a waiter.
    public void Notify() => _channel.Writer.TryWrite(true);

    /// <summary>A running job may have been cancelled: the lease renewal should look now.</summary>
    // Stryker disable once Boolean : the item's value is never read; any item wakes a waiter.
    public void NotifyLeasesChanged() => _leases.Writer.TryWrite(true);

    /// <summary>True when woken, false when the timeout elapsed first. Cancelling <paramref name="ct"/> throws.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct) => WaitAsync(_channel, timeout, time, ct);

    /// <summary>Like <see cref="WaitAsync"/>, for <see cref="NotifyLeasesChanged"/>.</summary>
    public Task<bool> WaitLeasesChangedAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct) => WaitAsync(_leases, timeout, time, ct);

    // Stryker disable once Initializer : on a full channel TryWrite adds nothing in DropWrite and in the default Wait mode alike; only its unused result differs.
    private static Channel<bool> NewChannel() =>
        Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private static async Task<bool> WaitAsync(Channel<bool> channel, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        if (channel.Reader.TryRead(out _)) return true;
        // The timeout's timer belongs to its CancellationTokenSource. A bare timer whose callback cancelled a
        // linked source could fire after the wait ended and the source was disposed: its ObjectDisposedException
        // on a thread-pool thread ended the process (exit 134). The source's own timer callback tolerates that.
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutSource.Token);
        try
        {
            await channel.Reader.WaitToReadAsync(linked.Token);
            return channel.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
