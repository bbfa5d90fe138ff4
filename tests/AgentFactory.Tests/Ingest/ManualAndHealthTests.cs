using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Ingest;

public sealed class ManualAndHealthTests : IAsyncLifetime
{
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook);

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task Manual_without_token_is_401_and_says_where_the_token_is()
    {
        var response = await _service.Http.SendAsync(_service.Manual(token: null));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var message = (await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>();
        Assert.Contains(_service.Options.ManualTokenSource, message, StringComparison.Ordinal);
        Assert.Contains("Bearer", message, StringComparison.Ordinal);
        Assert.Empty(await _service.AllJobsAsync());
    }

    [Fact]
    public async Task Manual_with_wrong_token_is_401()
    {
        var response = await _service.Http.SendAsync(_service.Manual(token: "wrong-token-0123456789"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await _service.AllJobsAsync());
    }

    [Fact]
    public async Task Bare_manual_trigger_queues_a_manual_job()
    {
        var response = await _service.Http.SendAsync(_service.Manual());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = Assert.Single(await _service.AllJobsAsync());
        Assert.Equal("manual", job.JobType);
        Assert.Equal("{}", job.Payload);
        Assert.Single(await _service.Store.ListEventsAsync(new EventQuery("manual"), default));
    }

    [Fact]
    public async Task Guide_manual_body_queues_that_job_type_payload_and_priority()
    {
        var response = await _service.Http.SendAsync(_service.Manual("""
            {"job_type": "custom_task", "payload": {"task": "Update documentation", "files": ["README.md"]}, "priority": 7}
            """));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        var job = Assert.Single(await _service.AllJobsAsync());
        Assert.Equal(job.Id, body!["job_id"]!.GetValue<long>());
        Assert.Equal("custom_task", job.JobType);
        Assert.Equal(7, job.Priority);
        Assert.Equal("Update documentation", JsonNode.Parse(job.Payload)!["task"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"job_type\": ", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("{\"job_type\": \"rm -rf /\"}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("{\"priority\": 100000}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("{\"priority\": \"high\"}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("job_type=x", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task Bad_manual_body_is_a_4xx_with_a_reason_and_no_job(string body, string contentType, HttpStatusCode expected)
    {
        var request = _service.Manual();
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, contentType);
        var response = await _service.Http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]);
        Assert.Empty(await _service.AllJobsAsync());
    }

    [Fact]
    public async Task Health_reports_database_queue_depth_and_heartbeat()
    {
        await _service.Http.SendAsync(_service.Manual());
        await _service.Store.RecordHeartbeatAsync("orch-1", "{}", default);
        var response = await _service.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("healthy", health!["status"]!.GetValue<string>());
        Assert.Equal("healthy", health["database"]!["status"]!.GetValue<string>());
        Assert.Equal(1, health["queue"]!["pending"]!.GetValue<long>());
        Assert.Equal("orch-1", health["last_heartbeat"]!["instance"]!.GetValue<string>());
    }
}

/// <summary>With the database unreachable: 503 everywhere, never a 2xx for something not stored.</summary>
public sealed class StoreDownTests : IAsyncLifetime
{
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(
        roles: AgentFactory.Hosting.Roles.Webhook,
        services: s => s.AddSingleton<IJobStore>(sp => new BrokenStore(sp.GetRequiredService<AgentFactory.Queue.Sqlite.SqliteJobStore>())));

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task Webhook_answers_503_with_retry_after_when_the_store_is_down()
    {
        var response = await _service.Http.SendAsync(Fixtures.Delivery("push", Fixtures.Read("push", "push"), TestService.Secret));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("redeliver", (await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_api_answers_503_with_retry_after_when_the_store_is_down()
    {
        var response = await _service.Admin.GetAsync("/api/stats");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("store_unavailable", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Manual_answers_503_when_the_store_is_down()
    {
        var response = await _service.Http.SendAsync(_service.Manual());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Health_answers_503_with_the_reason()
    {
        var response = await _service.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var health = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("unhealthy", health!["status"]!.GetValue<string>());
        Assert.Contains("disk I/O error", health["database"]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>Migrates (so the host starts) but every other call fails as an unreachable database would.</summary>
    private sealed class BrokenStore(IJobStore inner) : IJobStore
    {
        private static Exception Down() => new StoreUnavailableException("disk I/O error (simulated)");
        public Task MigrateAsync(CancellationToken ct) => inner.MigrateAsync(ct);
        public Task<bool> TryRunExclusiveAsync(long key, Func<CancellationToken, Task> work, CancellationToken ct) => throw Down();
        public Task<IReadOnlyList<DeliveryResult>> RecordDeliveriesAsync(IReadOnlyList<DeliveryRecord> d, CancellationToken ct) => throw Down();
        public Task<long> EnqueueAsync(NewJob job, CancellationToken ct) => throw Down();
        public Task<IReadOnlyList<JobRecord>> ClaimAsync(string o, int l, TimeSpan d, CancellationToken ct) => throw Down();
        public Task<IReadOnlyDictionary<long, LeaseState>> RenewLeasesAsync(IReadOnlyCollection<JobLease> l, TimeSpan d, CancellationToken ct) => throw Down();
        public Task<bool> CompleteAsync(JobLease l, string? o, CancellationToken ct) => throw Down();
        public Task<bool> FailAsync(JobLease l, JobFailure f, CancellationToken ct) => throw Down();
        public Task<bool> ReleaseAsync(JobLease l, CancellationToken ct) => throw Down();
        public Task<int> RescueExpiredAsync(CancellationToken ct) => throw Down();
        public Task RecordHeartbeatAsync(string i, string d, CancellationToken ct) => throw Down();
        public Task RemoveHeartbeatAsync(string i, CancellationToken ct) => throw Down();
        public Task<int> PruneHeartbeatsAsync(DateTimeOffset before, CancellationToken ct) => throw Down();
        public Task<HeartbeatRecord?> GetLastHeartbeatAsync(CancellationToken ct) => throw Down();
        public Task<JobRecord?> GetJobAsync(long id, CancellationToken ct) => throw Down();
        public Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobQuery q, CancellationToken ct) => inner.ListJobsAsync(q, ct);
        public Task<bool> RetryJobAsync(long id, CancellationToken ct) => throw Down();
        public Task<bool> CancelJobAsync(long id, CancellationToken ct) => throw Down();
        public Task<IReadOnlyList<WebhookEventRecord>> ListEventsAsync(EventQuery q, CancellationToken ct) => throw Down();
        public Task<IReadOnlyDictionary<JobStatus, long>> CountJobsByStatusAsync(CancellationToken ct) => throw Down();
        public Task<int> PruneAsync(DateTimeOffset completedBefore, DateTimeOffset eventsBefore, CancellationToken ct) => throw Down();
        public Task<IReadOnlyList<JobTypeCount>> CountJobsByTypeAsync(CancellationToken ct) => throw Down();
        public Task<IReadOnlyList<FinishedJobsBucket>> CountFinishedJobsAsync(DateTimeOffset s, TimeSpan b, CancellationToken ct) => throw Down();
        public Task<IReadOnlyDictionary<long, IReadOnlyList<long>>> ListJobIdsByEventAsync(IReadOnlyCollection<long> e, CancellationToken ct) => throw Down();
        public Task<IReadOnlySet<string>> FindStoredDeliveriesAsync(string? h, IReadOnlyCollection<string> d, CancellationToken ct) => throw Down();
    }
}
