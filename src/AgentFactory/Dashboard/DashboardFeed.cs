using System.Runtime.CompilerServices;
using AgentFactory.Queue;

namespace AgentFactory.Dashboard;

/// <summary>
/// Feeds GET /api/stream. While at least one page watches, one loop (not one per page) checks the
/// queue's fingerprint every <see cref="PollInterval"/> and publishes a fresh snapshot when it moved,
/// or every <see cref="KeepAlive"/> regardless (heartbeat ages, throughput windows sliding). Polling
/// sees changes made by any process on the database, not only this one.
/// </summary>
public sealed class DashboardFeed(QueueStats stats, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private TaskCompletionSource _published = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence;
    private StatsSnapshot? _latest;
    private int _watchers;

    /// <summary>The current snapshot at once, then every published one until <paramref name="ct"/> ends (quietly).</summary>
    public async IAsyncEnumerable<StatsSnapshot> WatchAsync([EnumeratorCancellation] CancellationToken ct)
    {
        Interlocked.Increment(ref _watchers);
        try
        {
            long seen;
            lock (_gate) seen = _sequence;
            StatsSnapshot? first = null;
            try { first = await stats.GetAsync(ct); }
            catch (OperationCanceledException) { }
            if (first is null) yield break;
            yield return first;

            while (true)
            {
                Task next;
                StatsSnapshot? snapshot = null;
                lock (_gate)
                {
                    next = _published.Task;
                    if (_sequence > seen) (seen, snapshot) = (_sequence, _latest);
                }
                if (snapshot is not null)
                {
                    yield return snapshot;
                    continue;
                }
                var stopped = false;
                try { await next.WaitAsync(ct); }
                catch (OperationCanceledException) { stopped = true; }
                if (stopped) yield break;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _watchers);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval, time);
        string? fingerprint = null;
        var lastPublished = DateTimeOffset.MinValue;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (Volatile.Read(ref _watchers) == 0) { fingerprint = null; continue; }
                try
                {
                    var current = await stats.FingerprintAsync(stoppingToken);
                    if (current == fingerprint && time.GetUtcNow() - lastPublished < KeepAlive) continue;
                    var snapshot = await stats.GetAsync(stoppingToken);
                    fingerprint = current;
                    lastPublished = time.GetUtcNow();
                    Publish(snapshot);
                }
                catch (StoreUnavailableException)
                {
                    // The page keeps its last numbers; /health says why. Try again at the next poll.
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private void Publish(StatsSnapshot snapshot)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            _sequence++;
            _latest = snapshot;
            done = _published;
            _published = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        done.SetResult();
    }
}
