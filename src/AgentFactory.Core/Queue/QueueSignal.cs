using System.Threading.Channels;

namespace AgentFactory.Queue;

/// <summary>
/// Wakes the orchestrator when work may be available: new jobs, a freed slot, a remote NOTIFY.
/// Auto-reset: many notifications before a wait collapse into one wake-up.
/// </summary>
public sealed class QueueSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Notify() => _channel.Writer.TryWrite(true);

    /// <summary>True when woken, false when the timeout elapsed first. Cancelling <paramref name="ct"/> throws.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        if (_channel.Reader.TryRead(out _)) return true;
        // The timeout's timer belongs to its CancellationTokenSource. A bare timer whose callback cancelled a
        // linked source could fire after the wait ended and the source was disposed: its ObjectDisposedException
        // on a thread-pool thread ended the process (exit 134). The source's own timer callback tolerates that.
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutSource.Token);
        try
        {
            await _channel.Reader.WaitToReadAsync(linked.Token);
            return _channel.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
