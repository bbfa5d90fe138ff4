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

    /// <summary>True when woken, false when the timeout elapsed first.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        if (_channel.Reader.TryRead(out _)) return true;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var timer = time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), cts, timeout, Timeout.InfiniteTimeSpan);
        try
        {
            await _channel.Reader.WaitToReadAsync(cts.Token);
            return _channel.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
