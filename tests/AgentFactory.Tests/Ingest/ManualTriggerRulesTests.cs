using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFactory.Hosting;
using AgentFactory.Ingest;
using AgentFactory.Routing;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentFactory.Tests.Ingest;

/// <summary>
/// The manual token is not GitHub. It may queue only the job types the routing file opens to it
/// ("manual": true); guessing it is throttled per address without ever refusing the right token.
/// </summary>
public sealed class ManualTriggerRulesTests : IAsyncLifetime
{
    private readonly LogCapture _logs = new();
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(
        roles: Roles.Webhook, services: s => s.AddSingleton<ILoggerProvider>(_logs));

    public async Task DisposeAsync() => await _service.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonObject Body)> SendAsync(HttpRequestMessage request)
    {
        using var response = await _service.Http.SendAsync(request);
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonObject>())!);
    }

    [Theory]
    [InlineData("github_issue")]   // would make the task agent push to payload.repository.clone_url with GITHUB_TOKEN
    [InlineData("github_release")] // would deploy payload.release.tag_name
    [InlineData("github_push")]
    [InlineData("not_in_the_routing_file")]
    public async Task Manual_token_cannot_queue_a_job_type_the_routing_file_does_not_open_to_it(string jobType)
    {
        const string payload = """{"repository": {"full_name": "octo/repo", "clone_url": "https://attacker.example/x.git"}, "release": {"tag_name": "v1.1~1"}}""";
        var (status, body) = await SendAsync(_service.Manual($"{{\"job_type\": \"{jobType}\", \"payload\": {payload}}}"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("job_type_not_allowed", body["error"]!.GetValue<string>());
        var message = body["message"]!.GetValue<string>();
        Assert.Contains("\"manual\": true", message, StringComparison.Ordinal);
        Assert.Contains("custom_task, manual", message, StringComparison.Ordinal);
        Assert.Empty(await _service.AllJobsAsync());
    }

    [Theory]
    [InlineData("manual")]
    [InlineData("custom_task")]
    public async Task The_shipped_routing_opens_manual_and_custom_task(string jobType)
    {
        var (status, _) = await SendAsync(_service.Manual($"{{\"job_type\": \"{jobType}\"}}"));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(jobType, Assert.Single(await _service.AllJobsAsync()).JobType);
    }

    [Theory]
    [InlineData("{\"jobtype\": \"custom_task\"}", "jobtype")]
    [InlineData("{\"job_type\": \"custom_task\", \"prio\": 5}", "prio")]
    public async Task An_unknown_field_is_a_400_naming_the_accepted_fields_not_a_manual_job(string json, string field)
    {
        var (status, body) = await SendAsync(_service.Manual(json));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = body["message"]!.GetValue<string>();
        Assert.Contains($"'{field}'", message, StringComparison.Ordinal);
        Assert.Contains("job_type, payload and priority", message, StringComparison.Ordinal);
        Assert.Empty(await _service.AllJobsAsync());
    }

    [Theory]
    [InlineData("{\"priority\": \"high\"}")]
    [InlineData("{\"priority\": 1.5}")]
    [InlineData("{\"job_type\": 7}")]
    public async Task A_field_of_the_wrong_kind_is_a_400_in_the_callers_terms(string json)
    {
        var (status, body) = await SendAsync(_service.Manual(json));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.DoesNotContain("System.", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guessing_the_token_is_throttled_per_address_logged_with_it_and_never_locks_out_the_right_token()
    {
        for (var i = 0; i < FailedRequestLimiter.ManualFailuresPerMinute; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(_service.Manual(token: $"guess-{i}-0123456789"))).Status);

        using var throttled = await _service.Http.SendAsync(_service.Manual(token: "one-more-guess-0123456789"));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.NotNull(throttled.Headers.RetryAfter);
        Assert.Contains("right token", (await throttled.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SendAsync(_service.Manual(token: null))).Status);

        // Every client here is 127.0.0.1 (as through an SSH tunnel): the operator's right token still works.
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(_service.Manual())).Status);
        Assert.Equal(FailedRequestLimiter.ManualFailuresPerMinute, _logs.Lines.Count(l => l.Contains("Refused a manual trigger from 127.0.0.1", StringComparison.Ordinal)));
    }

    [Fact]
    public void Routing_may_not_open_every_job_type_to_the_manual_trigger()
    {
        var e = Assert.Throws<SettingsException>(() => RoutingLoader.Parse("""{ "jobs": { "*": { "agent": "log", "manual": true } } }""", "routing.json"));
        Assert.Contains("jobs.\"*\".manual", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_type_the_operator_opens_explicitly_may_be_queued()
    {
        await using var service = await TestService.StartAsync(roles: Roles.Webhook, routingJson: """
            { "jobs": { "github_issue": { "agent": "log", "manual": true } } }
            """);
        using var response = await service.Http.SendAsync(service.Manual("{\"job_type\": \"github_issue\"}"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var bare = await service.Http.SendAsync(service.Manual());
        Assert.Equal(HttpStatusCode.BadRequest, bare.StatusCode); // "manual" is not opened by this routing file
    }

    /// <summary>Keeps every log line the service writes.</summary>
    private sealed class LogCapture : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IEnumerable<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => new Logger(_lines);

        public void Dispose() { }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }
}
