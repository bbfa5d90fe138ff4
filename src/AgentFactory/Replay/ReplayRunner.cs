using System.Diagnostics;
using AgentFactory.Agents;
using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Observability;
using AgentFactory.Queue;
using AgentFactory.Routing;

namespace AgentFactory.Replay;

/// <summary>
/// Runs stored deliveries through one agent, in process and one at a time: each delivery's stored job is copied
/// into memory (never claimed, never written back: the queue only answers reads) and handed straight to the agent.
/// The writes it makes to GitHub are taken from <see cref="CapturedWrites"/> and its model calls from
/// <see cref="ReplayUsage"/> after each job. The report is a file people keep and share: the service's secrets are
/// redacted from what it records (the job's output and error, and each write), as from the service's logs.
/// </summary>
public sealed class ReplayRunner(IOperatorViews store, RoutingConfig routing, CapturedWrites writes, ReplayUsage usage, SecretRedactor redactor, TimeProvider time)
{
    private const int Page = 200;

    /// <summary>The stored deliveries of <paramref name="eventType"/> received at or after <paramref name="since"/> that made a job, oldest first, at most <paramref name="limit"/> (the newest).</summary>
    public async Task<IReadOnlyList<(WebhookEventRecord Delivery, JobRecord Job)>> FindAsync(string eventType, DateTimeOffset since, int limit, CancellationToken ct)
    {
        var found = new List<(WebhookEventRecord, JobRecord)>();
        long? before = null;
        while (found.Count < limit)
        {
            var page = await store.ListEventsAsync(new EventQuery(eventType, Page, before, IncludeHeartbeats: false), ct);
            var recent = page.Where(e => e.ReceivedAt >= since).ToList();
            var jobs = await store.ListJobIdsByEventAsync([.. recent.Select(e => e.Id)], ct);
            foreach (var e in recent)
            {
                if (found.Count >= limit) break;
                if (!jobs.TryGetValue(e.Id, out var ids) || await store.GetJobAsync(ids[0], ct) is not { } job) continue;
                found.Add((e, job));
            }
            if (page.Count < Page || recent.Count < page.Count) break; // the end of the table, or past --since
            before = page[^1].Id;
        }
        found.Reverse();
        return found;
    }

    public async Task<ReplayJob> RunAsync(IAgent agent, WebhookEventRecord delivery, JobRecord stored, ModelSpec? model, Action<string> progress, CancellationToken ct)
    {
        // A private copy, running its first attempt. Nothing of it goes back to the store. Not the last attempt (unless the
        // job type allows one): an agent's last-attempt fallback (a review without the model) would hide a failing model.
        var record = stored with { Status = JobStatus.Running, Attempt = 1, MaxAttempts = Math.Max(1, stored.MaxAttempts), StartedAt = time.GetUtcNow(), CompletedAt = null, LeaseOwner = "replay", Error = null, Output = null };
        var job = new AgentJob(record);
        var subject = (job.PayloadString("pull_request.number") ?? job.PayloadString("issue.number")) is { } n ? "#" + n : null;
        progress($"Replaying delivery {delivery.DeliveryId} ({delivery.EventType}{(delivery.Action is null ? "" : "." + delivery.Action)} {delivery.Repository}{subject}, job {stored.Id})…");
        writes.Take();
        usage.Take();
        var timeout = routing.SettingsFor(stored.JobType).Timeout;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        var watch = Stopwatch.StartNew();
        string outcome;
        string? output = null, error = null;
        try
        {
            var result = await agent.RunAsync(job, limit.Token);
            (outcome, output, error) = (result.Succeeded ? "completed" : "failed", result.Output, result.Error);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            (outcome, error) = ("timed out", $"The job type's timeout ({timeout}) ended the run.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            (outcome, error) = ("failed", e.Message);
        }
        watch.Stop();
        var calls = usage.Take();
        var (input, outputTokens) = (calls.Sum(c => c.InputTokens), calls.Sum(c => c.OutputTokens));
        decimal? cost = calls.Count == 0 ? 0 : model?.Prices?.Cost(input, outputTokens);
        return new ReplayJob(delivery.Id, delivery.DeliveryId, stored.Id, stored.JobType, delivery.Action, delivery.Repository, subject, delivery.ReceivedAt,
            outcome, redactor.RedactOrNull(output), redactor.RedactOrNull(error),
            [.. writes.Take().Select(w => w with { Path = redactor.Redact(w.Path), Body = redactor.RedactOrNull(w.Body) })], calls.Count, input, outputTokens, cost, Math.Round(watch.Elapsed.TotalSeconds, 3));
    }
}
