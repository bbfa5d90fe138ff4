using AgentFactory.Options;

namespace AgentFactory.Ingest;

/// <summary>
/// The bytes of request bodies held in memory at once, across every request in flight
/// (WEBHOOK_BODY_BUDGET_MB). Nothing is known about a body until all of it has arrived and its
/// signature checked, so an anonymous sender can make the service hold whatever it sends; this caps
/// the sum. A request that finds the budget spent is answered 503 with Retry-After instead of growing
/// the heap until an allocation fails. Bytes are taken as they arrive, not as announced, so a slow
/// client that announces 25 MB holds only what it sent.
/// </summary>
public sealed class BodyBudget
{
    /// <summary>Clients already throttled for bad signatures share a quarter of the budget, so they cannot starve the others.</summary>
    private const int SuspectShare = 4;

    /// <summary>How often a spent budget is logged at most: a flood must not turn into a flood of log lines.</summary>
    public static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(10);

    private readonly long _total;
    private readonly TimeProvider _time;
    private long _used;
    private long _usedBySuspects;
    private long _lastReport = long.MinValue;

    public BodyBudget(AgentFactoryOptions options, TimeProvider time) : this(options.WebhookBodyBudgetBytes, time) { }

    public BodyBudget(long bytes, TimeProvider? time = null)
    {
        _total = bytes;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Bytes currently held (for tests and diagnostics).</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Takes <paramref name="bytes"/> if they fit; false means answer 503.</summary>
    public bool TryTake(long bytes, bool suspect)
    {
        if (suspect && !TryAdd(ref _usedBySuspects, bytes, _total / SuspectShare)) return false;
        if (TryAdd(ref _used, bytes, _total)) return true;
        if (suspect) Interlocked.Add(ref _usedBySuspects, -bytes);
        return false;
    }

    public void Return(long bytes, bool suspect)
    {
        Interlocked.Add(ref _used, -bytes);
        if (suspect) Interlocked.Add(ref _usedBySuspects, -bytes);
    }

    /// <summary>
    /// True for the first refusal of a spent budget and then at most once per <see cref="ReportEvery"/>,
    /// whichever request asks: the one that should write the log line.
    /// </summary>
    public bool ShouldReportSpent()
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastReport);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < ReportEvery) return false;
        return Interlocked.CompareExchange(ref _lastReport, now, last) == last;
    }

    private static bool TryAdd(ref long counter, long bytes, long limit)
    {
        while (true)
        {
            var current = Interlocked.Read(ref counter);
            if (current + bytes > limit) return false;
            if (Interlocked.CompareExchange(ref counter, current + bytes, current) == current) return true;
        }
    }
}
