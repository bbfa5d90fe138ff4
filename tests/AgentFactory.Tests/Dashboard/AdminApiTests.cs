using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Dashboard;

/// <summary>The admin API over real HTTP against the real SQLite queue, with the orchestrator off so rows stay put.</summary>
public sealed class AdminApiTests : IAsyncLifetime
{
    private TestService _service = null!;
    private long _failed, _completed, _pending;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(AgentFactory.Hosting.Roles.Webhook, seed: SeedAsync);

    public async Task DisposeAsync() => await _service.DisposeAsync();

    /// <summary>One failed (two attempts), one completed, one pending job, and two deliveries.</summary>
    private async Task SeedAsync(IJobStore store)
    {
        var lease = TimeSpan.FromMinutes(1);
        var delivery = await store.RecordDeliveryAsync(
            new NewWebhookEvent("d-1", "h", "push", null, "octo/widgets", "{\"ref\":\"refs/heads/main\"}"),
            [new NewJob("github_push", "{\"repository\":{\"full_name\":\"octo/widgets\"}}", 5, 2)], default);
        _failed = delivery.JobIds[0];
        var claim = (await store.ClaimAsync("w", 1, lease, default)).Single();
        await store.FailAsync(claim.Lease, new JobFailure("flaky upstream: HTTP 502", null, DateTimeOffset.UtcNow.AddSeconds(-1)), default);
        claim = (await store.ClaimAsync("w", 1, lease, default)).Single();
        await store.FailAsync(claim.Lease, new JobFailure("still down: HTTP 503", "partial output", null), default);

        _completed = await store.EnqueueAsync(new NewJob("deploy", "{\"env\":\"prod\"}", 1, 3), default);
        claim = (await store.ClaimAsync("w", 1, lease, default)).Single();
        await store.CompleteAsync(claim.Lease, "deployed v1.2.3", default);

        _pending = await store.EnqueueAsync(new NewJob("deploy", "{\"env\":\"staging\"}", 0, 3, DateTimeOffset.UtcNow.AddHours(1)), default);
        await store.RecordDeliveryAsync(new NewWebhookEvent("d-2", "h", "star", "created", "octo/widgets", "{}"), [], default);
        await store.RecordHeartbeatAsync("orch-1", "{\"running\":0,\"max_concurrent_jobs\":3}", default);
    }

    private async Task<JsonObject> GetAsync(string path)
    {
        var response = await _service.Admin.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static long[] Ids(JsonObject page) => [.. page["items"]!.AsArray().Select(j => j!["id"]!.GetValue<long>())];

    [Fact]
    public async Task Stats_count_by_status_and_type_and_show_throughput_and_heartbeats()
    {
        var stats = await GetAsync("/api/stats");
        Assert.Equal(1, stats["by_status"]!["failed"]!.GetValue<long>());
        Assert.Equal(1, stats["by_status"]!["completed"]!.GetValue<long>());
        Assert.Equal(1, stats["by_status"]!["pending"]!.GetValue<long>());
        var deploy = stats["by_type"]!.AsArray().Single(t => t!["job_type"]!.GetValue<string>() == "deploy")!;
        Assert.Equal(2, deploy["total"]!.GetValue<long>());
        Assert.Equal(1, deploy["by_status"]!["completed"]!.GetValue<long>());

        foreach (var (window, buckets, seconds) in new[] { ("last_hour", 12, 300), ("last_24h", 24, 3600) })
        {
            var series = stats[window]!;
            Assert.Equal(seconds, series["bucket_seconds"]!.GetValue<int>());
            Assert.Equal(buckets, series["buckets"]!.AsArray().Count);
            Assert.Equal(1, series["completed"]!.GetValue<long>());
            Assert.Equal(1, series["failed"]!.GetValue<long>());
            Assert.Equal(0.5, series["failure_rate"]!.GetValue<double>());
        }
        var heartbeat = Assert.Single(stats["heartbeats"]!.AsArray())!;
        Assert.Equal("orch-1", heartbeat["instance"]!.GetValue<string>());
        Assert.Equal(3, heartbeat["details"]!["max_concurrent_jobs"]!.GetValue<int>());
    }

    [Fact]
    public async Task Jobs_list_filters_by_status_type_and_search_and_pages_with_before_id()
    {
        Assert.Equal([_pending, _completed, _failed], Ids(await GetAsync("/api/jobs")));
        Assert.Equal([_failed], Ids(await GetAsync("/api/jobs?status=failed")));
        Assert.Equal([_pending, _completed], Ids(await GetAsync("/api/jobs?job_type=deploy")));
        Assert.Equal([_failed], Ids(await GetAsync("/api/jobs?search=HTTP%20503")));
        Assert.Equal([_pending], Ids(await GetAsync("/api/jobs?search=STAGING")));
        Assert.Equal([_failed], Ids(await GetAsync("/api/jobs?search=github_")));

        var first = await GetAsync("/api/jobs?limit=2");
        Assert.Equal([_pending, _completed], Ids(first));
        var next = first["next_before_id"]!.GetValue<long>();
        var second = await GetAsync($"/api/jobs?limit=2&before_id={next}");
        Assert.Equal([_failed], Ids(second));
        Assert.Null(second["next_before_id"]);

        var bad = await _service.Admin.GetAsync("/api/jobs?status=exploded");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("bad_status", (await bad.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Job_detail_has_payload_every_attempt_error_output_timings_and_allowed_actions()
    {
        var job = await GetAsync($"/api/jobs/{_failed}");
        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Equal("octo/widgets", job["payload"]!["repository"]!["full_name"]!.GetValue<string>());
        Assert.Equal(["flaky upstream: HTTP 502", "still down: HTTP 503"], job["errors"]!.AsArray().Select(e => e!["error"]!.GetValue<string>()));
        Assert.Equal([1, 2], job["errors"]!.AsArray().Select(e => e!["attempt"]!.GetValue<int>()));
        Assert.Equal("partial output", job["output"]!.GetValue<string>());
        Assert.NotNull(job["timings"]!["started_at"]);
        Assert.NotNull(job["timings"]!["completed_at"]);
        Assert.True(job["actions"]!["retry"]!.GetValue<bool>());
        Assert.False(job["actions"]!["cancel"]!.GetValue<bool>());
        Assert.False(job["actions"]!["requeue"]!.GetValue<bool>());
        Assert.NotNull(job["event_id"]);

        var missing = await _service.Admin.GetAsync("/api/jobs/999999");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Retry_cancel_and_requeue_change_the_rows_and_refuse_the_wrong_state()
    {
        var retry = await _service.Admin.PostAsync($"/api/jobs/{_failed}/retry", null);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var row = (await _service.Store.GetJobAsync(_failed, default))!;
        Assert.Equal(JobStatus.Pending, row.Status);
        Assert.Equal(2, row.Errors.Count); // history kept
        Assert.Equal(HttpStatusCode.Conflict, (await _service.Admin.PostAsync($"/api/jobs/{_failed}/retry", null)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await _service.Admin.PostAsync($"/api/jobs/{_pending}/cancel", null)).StatusCode);
        Assert.Equal(JobStatus.Cancelled, (await _service.Store.GetJobAsync(_pending, default))!.Status);
        var conflict = await _service.Admin.PostAsync($"/api/jobs/{_completed}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("completed", (await conflict.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        var requeue = await _service.Admin.PostAsync($"/api/jobs/{_completed}/requeue", null);
        Assert.Equal(HttpStatusCode.Created, requeue.StatusCode);
        var body = (await requeue.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(_completed, body["requeued_from"]!.GetValue<long>());
        var copy = (await _service.Store.GetJobAsync(body["job_id"]!.GetValue<long>(), default))!;
        var original = (await _service.Store.GetJobAsync(_completed, default))!;
        Assert.Equal((JobStatus.Pending, "deploy", original.Payload, 1, 3), (copy.Status, copy.JobType, copy.Payload, copy.Priority, copy.MaxAttempts));
        Assert.Equal(JobStatus.Completed, original.Status);
        Assert.Equal(HttpStatusCode.Conflict, (await _service.Admin.PostAsync($"/api/jobs/{_pending}/requeue", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _service.Admin.PostAsync("/api/jobs/999999/requeue", null)).StatusCode);
    }

    [Fact]
    public async Task Events_list_deliveries_with_outcome_and_job_ids_without_heartbeats_and_filter_by_type()
    {
        var events = (await GetAsync("/api/events"))["items"]!.AsArray();
        Assert.Equal(["star", "push"], events.Select(e => e!["event"]!.GetValue<string>()));
        var push = events[1]!;
        Assert.Equal("queued", push["outcome"]!.GetValue<string>());
        Assert.True(push["converted_to_job"]!.GetValue<bool>());
        Assert.Equal([_failed], push["job_ids"]!.AsArray().Select(i => i!.GetValue<long>()));
        Assert.Equal("octo/widgets", push["repository"]!.GetValue<string>());
        Assert.Equal("recorded", events[0]!["outcome"]!.GetValue<string>());
        Assert.Equal("created", events[0]!["action"]!.GetValue<string>());

        Assert.Equal(["push"], (await GetAsync("/api/events?event=push"))["items"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()));
        Assert.Equal("heartbeat", (await GetAsync("/api/events?event=heartbeat"))["items"]!.AsArray().Single()!["outcome"]!.GetValue<string>());
        var paged = await GetAsync("/api/events?limit=1");
        Assert.Single(paged["items"]!.AsArray());
        Assert.Equal(["push"], (await GetAsync($"/api/events?before_id={paged["next_before_id"]}"))["items"]!.AsArray().Select(e => e!["event"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Stream_pushes_stats_at_once_and_again_when_the_queue_changes()
    {
        using var response = await _service.Admin.GetAsync("/api/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        async Task<JsonObject> NextChangedAsync()
        {
            string? type = null;
            while (true)
            {
                var line = await reader.ReadLineAsync(deadline.Token) ?? throw new EndOfStreamException();
                if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type == "changed") return JsonNode.Parse(line[6..])!.AsObject();
            }
        }

        var first = await NextChangedAsync();
        Assert.Equal(1, first["by_status"]!["pending"]!.GetValue<long>());
        var id = await _service.Store.EnqueueAsync(new NewJob("new", "{}"), default);
        while (true) // a keep-alive may come first; the change arrives within a poll
        {
            var next = await NextChangedAsync();
            if (next["latest_job_id"]!.GetValue<long>() != id) continue;
            Assert.Equal(2, next["by_status"]!["pending"]!.GetValue<long>());
            break;
        }
    }
}
