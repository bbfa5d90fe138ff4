using System.Text.Json;
using System.Text.Json.Serialization;
using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Queue;

namespace AgentFactory.Dashboard;

/// <summary>
/// The numbers an operator watches: queue depth by status and job type, completed and failed jobs over
/// the last 24 h (1 h buckets) and the last hour (5 min buckets), and the live orchestrators (those
/// whose heartbeat passes <see cref="AgentFactoryOptions.IsAlive"/>; a stopped or dead one is not listed).
/// Shared by GET /api/stats, the live stream and `agentfactory stats`.
/// </summary>
public sealed class QueueStats(IOperatorViews store, AgentFactoryOptions options, TimeProvider time)
{
    public static readonly TimeSpan DayBucket = TimeSpan.FromHours(1);
    public static readonly TimeSpan HourBucket = TimeSpan.FromMinutes(5);

    public async Task<StatsSnapshot> GetAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var byStatus = await store.CountJobsByStatusAsync(ct);
        var byType = await store.CountJobsByTypeAsync(ct);
        var day = await SeriesAsync(now, DayBucket, 24, ct);
        var hour = await SeriesAsync(now, HourBucket, 12, ct);
        var heartbeats = await store.ListEventsAsync(new EventQuery(EventType: "heartbeat", Limit: 100), ct);
        var newest = await store.ListJobsAsync(new JobQuery(Limit: 1), ct);
        var newestEvent = await store.ListEventsAsync(new EventQuery(Limit: 1, IncludeHeartbeats: false), ct);
        return new StatsSnapshot(
            now,
            JobStatusNames.All.ToDictionary(s => s.ToDb(), s => byStatus.GetValueOrDefault(s)),
            [.. byType.GroupBy(c => c.JobType, StringComparer.Ordinal).Select(g => new TypeCounts(
                g.Key, JobStatusNames.All.ToDictionary(s => s.ToDb(), s => g.Where(c => c.Status == s).Sum(c => c.Count)), g.Sum(c => c.Count)))],
            day,
            hour,
            [.. heartbeats.Where(h => h.HookId == "heartbeat" && options.IsAlive(h.ReceivedAt, now)).OrderByDescending(h => h.ReceivedAt).Select(h => new HeartbeatView(
                h.DeliveryId, h.ReceivedAt, Math.Round((now - h.ReceivedAt).TotalSeconds, 1), ApiJson.ParseOrString(h.Payload)))],
            options.LivenessThreshold.TotalSeconds,
            newest.Count > 0 ? newest[0].Id : null,
            newestEvent.Count > 0 ? newestEvent[0].Id : null);
    }

    /// <summary>
    /// A cheap summary that changes whenever a job changes status or a job or delivery arrives: the
    /// live stream polls this and rebuilds the full snapshot only when it moves.
    /// </summary>
    public async Task<string> FingerprintAsync(CancellationToken ct)
    {
        var byStatus = await store.CountJobsByStatusAsync(ct);
        var newest = await store.ListJobsAsync(new JobQuery(Limit: 1), ct);
        var newestEvent = await store.ListEventsAsync(new EventQuery(Limit: 1, IncludeHeartbeats: false), ct);
        return string.Join(',', JobStatusNames.All.Select(s => byStatus.GetValueOrDefault(s)))
            + $"|{(newest.Count > 0 ? newest[0].Id : 0)}|{(newest.Count > 0 ? newest[0].Attempt : 0)}|{(newestEvent.Count > 0 ? newestEvent[0].Id : 0)}";
    }

    /// <summary>The last <paramref name="count"/> buckets, aligned to whole buckets, the newest one still filling.</summary>
    private async Task<ThroughputSeries> SeriesAsync(DateTimeOffset now, TimeSpan bucket, int count, CancellationToken ct)
    {
        var current = new DateTimeOffset(now.UtcTicks - now.UtcTicks % bucket.Ticks, TimeSpan.Zero);
        var since = current - bucket * (count - 1);
        var found = (await store.CountFinishedJobsAsync(since, bucket, ct)).ToDictionary(b => b.Start);
        var buckets = Enumerable.Range(0, count).Select(i => since + bucket * i)
            .Select(start => found.GetValueOrDefault(start) ?? new FinishedJobsBucket(start, 0, 0)).ToList();
        long completed = buckets.Sum(b => b.Completed), failed = buckets.Sum(b => b.Failed);
        return new ThroughputSeries((int)bucket.TotalSeconds, since, completed, failed,
            completed + failed == 0 ? null : Math.Round((double)failed / (completed + failed), 4), buckets);
    }
}

/// <param name="Heartbeats">The live orchestrators only, newest heartbeat first; empty when none runs.</param>
/// <param name="LivenessSeconds">A heartbeat older than this (3 × TICK_INTERVAL_SECONDS) means its orchestrator is gone.</param>
/// <param name="LatestJobId">The newest job's id (null when there are none): a page can tell new rows arrived.</param>
public sealed record StatsSnapshot(
    DateTimeOffset GeneratedAt,
    IReadOnlyDictionary<string, long> ByStatus,
    IReadOnlyList<TypeCounts> ByType,
    [property: JsonPropertyName("last_24h")] ThroughputSeries Last24h,
    [property: JsonPropertyName("last_hour")] ThroughputSeries LastHour,
    IReadOnlyList<HeartbeatView> Heartbeats,
    double LivenessSeconds,
    long? LatestJobId,
    long? LatestEventId);

public sealed record TypeCounts(string JobType, IReadOnlyDictionary<string, long> ByStatus, long Total);

/// <param name="FailureRate">failed / (completed + failed) over the window; null when nothing finished.</param>
public sealed record ThroughputSeries(int BucketSeconds, DateTimeOffset Since, long Completed, long Failed, double? FailureRate, IReadOnlyList<FinishedJobsBucket> Buckets);

/// <param name="Details">What the instance reported: running jobs, limit, git sync result, version.</param>
public sealed record HeartbeatView(string Instance, DateTimeOffset At, double AgeSeconds, JsonElement Details);
