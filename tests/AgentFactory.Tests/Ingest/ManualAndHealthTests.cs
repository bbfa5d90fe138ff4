using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFactory.Events;
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
    public async Task Manual_without_token_is_401_and_tells_how_to_send_it_but_not_where_the_file_is()
    {
        var response = await _service.Http.SendAsync(_service.Manual(token: null));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var message = (await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>();
        Assert.Contains("Bearer", message, StringComparison.Ordinal);
        Assert.Contains("MANUAL_TRIGGER_TOKEN", message, StringComparison.Ordinal);
        // An anonymous caller learns nothing about this host: not the token file's path, not where the token came from.
        Assert.DoesNotContain(_service.Options.ManualTokenSource, message, StringComparison.Ordinal);
        Assert.DoesNotContain(_service.DataDir, message, StringComparison.Ordinal);
        Assert.DoesNotContain("generated at", message, StringComparison.Ordinal);
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
        Assert.Equal("ok", health["orchestrator"]!.GetValue<string>());
        Assert.True(health["last_heartbeat"]!["age_seconds"]!.GetValue<double>() >= 0);
    }

    [Fact]
    public async Task Health_shows_anonymous_callers_no_instance_name_host_or_pid()
    {
        await _service.Store.RecordHeartbeatAsync($"{Environment.MachineName}:{Environment.ProcessId}:abc123", "{}", default);
        var text = await (await _service.Http.GetAsync("/health")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(Environment.MachineName, text, StringComparison.Ordinal);
        Assert.DoesNotContain("abc123", text, StringComparison.Ordinal);
        Assert.DoesNotContain("instance", text, StringComparison.Ordinal);
    }
}

/// <summary>With the database unreachable: 503 everywhere, never a 2xx for something not stored.</summary>
public sealed class StoreDownTests : IAsyncLifetime
{
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(
        roles: AgentFactory.Hosting.Roles.Webhook,
        services: s => s.AddSingleton<IJobStore>(sp => BrokenStore.Over(sp.GetRequiredService<AgentFactory.Queue.Sqlite.SqliteJobStore>())));

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
    public async Task Health_answers_503_and_keeps_the_database_error_for_the_log()
    {
        var response = await _service.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var health = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("unhealthy", health!["status"]!.GetValue<string>());
        Assert.Equal("unhealthy", health["database"]!["status"]!.GetValue<string>());
        Assert.Contains("log", health["message"]!.GetValue<string>(), StringComparison.Ordinal);
        // The error text may name hosts and paths; anonymous callers do not see it.
        Assert.DoesNotContain("disk I/O error", health.ToJsonString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Migrates (so the host starts) and lists jobs, but every other call fails as an unreachable database
    /// would. A proxy, so the store's interface can grow without this test changing.
    /// </summary>
    public class BrokenStore : System.Reflection.DispatchProxy
    {
        private IJobStore _inner = null!;

        public static IJobStore Over(IJobStore inner)
        {
            var proxy = Create<IJobStore, BrokenStore>();
            ((BrokenStore)(object)proxy)._inner = inner;
            return proxy;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            var method = targetMethod!;
            if (method.Name is nameof(IJobStore.MigrateAsync) or nameof(IJobStore.ListJobsAsync) or "get_IngestWriters")
                return method.Invoke(_inner, args);
            var down = new StoreUnavailableException("disk I/O error (simulated)");
            var type = method.ReturnType;
            if (type == typeof(Task)) return Task.FromException(down);
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>))
                return typeof(Task).GetMethod(nameof(Task.FromException), 1, [typeof(Exception)])!.MakeGenericMethod(type.GetGenericArguments()[0]).Invoke(null, [down]);
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
                return typeof(ValueTask).GetMethod(nameof(ValueTask.FromException), 1, [typeof(Exception)])!.MakeGenericMethod(type.GetGenericArguments()[0]).Invoke(null, [down]);
            if (type == typeof(ValueTask)) return Boxed(ValueTask.FromException(down));
            throw down;
        }

        private static object Boxed(ValueTask task) => task;
    }
}
