using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AgentFactory.Events;
using AgentFactory.Hosting;
using AgentFactory.Ingest;
using AgentFactory.Queue;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentFactory.Tests.Ingest;

/// <summary>
/// What POST /webhook/manual answers, word for word: each refusal's status, code and message, the
/// headers, the body and location of an accepted job, what the defaults of a body's missing fields
/// are, and the log line of a refused token. The rules behind them are in ManualTriggerRulesTests.
/// </summary>
public sealed class ManualAnswersTests : IAsyncLifetime
{
    private const string Example = "{\"job_type\": \"custom_task\", \"payload\": {...}, \"priority\": 0}";

    private readonly LogCapture _logs = new();
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(
        roles: Roles.Webhook, configure: o => o.LogLevel = "DEBUG", services: s => s.AddSingleton<ILoggerProvider>(_logs));

    public async Task DisposeAsync() => await _service.DisposeAsync();

    private async Task<HttpResponseMessage> RefusedAsync(HttpRequestMessage request, HttpStatusCode status, string error, string message)
    {
        var response = await _service.Http.SendAsync(request);
        Assert.Equal(status, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(error, body["error"]!.GetValue<string>());
        Assert.Equal(message, body["message"]!.GetValue<string>());
        Assert.Empty(await _service.AllJobsAsync());
        return response;
    }

    private Task<HttpResponseMessage> BadBodyAsync(string json, string error, string message) =>
        RefusedAsync(_service.Manual(json), HttpStatusCode.BadRequest, error, message);

    private const string Unauthorized =
        "Send the manual trigger token as 'Authorization: Bearer <token>'. The operator sets it with MANUAL_TRIGGER_TOKEN or finds the generated one in the service's data directory (see docs/operations.md).";

    [Fact]
    public async Task No_token_is_a_401_with_the_bearer_challenge_logged_as_no_token()
    {
        var response = await RefusedAsync(_service.Manual(token: null), HttpStatusCode.Unauthorized, "unauthorized", Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Contains(_logs.Lines, l => l == "Warning AgentFactory.Ingest: Refused a manual trigger from 127.0.0.1: no token");
    }

    [Fact]
    public async Task A_wrong_token_is_a_401_logged_as_a_wrong_token()
    {
        var response = await RefusedAsync(_service.Manual(token: "wrong-token-0123456789"), HttpStatusCode.Unauthorized, "unauthorized", Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Contains(_logs.Lines, l => l == "Warning AgentFactory.Ingest: Refused a manual trigger from 127.0.0.1: a wrong token");
        Assert.DoesNotContain(_logs.Lines, l => l.EndsWith(": no token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Once_throttled_a_wrong_token_is_a_429_saying_for_how_long_and_the_right_one_still_works()
    {
        var limit = _service.Host.Services.GetRequiredKeyedService<FailedRequestLimiter>(FailedRequestLimiter.Manual);
        while (!limit.IsBlocked(IPAddress.Loopback)) limit.RecordFailure(IPAddress.Loopback);
        var response = await RefusedAsync(_service.Manual(token: "wrong-token-0123456789"), HttpStatusCode.TooManyRequests, "too_many_failures",
            "Too many requests with a missing or wrong manual trigger token from this address: such requests are refused for the next 60 seconds. Requests with the right token are still accepted.");
        Assert.Equal(TimeSpan.FromSeconds(60), response.Headers.RetryAfter!.Delta);
        Assert.Empty(response.Headers.WwwAuthenticate);
        Assert.Contains(_logs.Lines, l => l == "Debug AgentFactory.Ingest: Refused a manual trigger from 127.0.0.1: throttled after repeated wrong tokens");
        Assert.DoesNotContain(_logs.Lines, l => l.StartsWith("Warning AgentFactory.Ingest: Refused a manual trigger", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Accepted, (await _service.Http.SendAsync(_service.Manual())).StatusCode);
    }

    [Theory]
    [InlineData("Bearer " + TestService.Token, true)]
    [InlineData("bearer " + TestService.Token, true)]
    [InlineData("BEARER   " + TestService.Token + "  ", true)]
    [InlineData(TestService.Token, false)]
    [InlineData("Basic " + TestService.Token, false)]
    [InlineData("Bearer " + TestService.Token + "x", false)]
    [InlineData("Bearer ", false)]
    [InlineData("", false)]
    public void The_token_is_matched_after_a_bearer_scheme_in_any_case(string header, bool authorized) =>
        Assert.Equal(authorized, ManualTrigger.Authorized(header, TestService.Token));

    [Fact]
    public void No_configured_token_authorizes_nobody_not_even_an_empty_bearer() =>
        Assert.False(ManualTrigger.Authorized("Bearer ", ""));

    [Fact]
    public async Task An_accepted_job_is_202_with_its_location_and_what_was_queued()
    {
        var response = await _service.Http.SendAsync(_service.Manual("""{"job_type": "custom_task", "payload": {"task": "docs"}, "priority": 7}"""));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = Assert.Single(await _service.AllJobsAsync());
        Assert.Equal($"/api/jobs/{job.Id}", response.Headers.Location!.OriginalString);
        var expected = new JsonObject { ["status"] = "queued", ["job_id"] = job.Id, ["job_type"] = "custom_task", ["priority"] = 7, ["agent"] = "log" };
        Assert.Equal(expected.ToJsonString(), (await response.Content.ReadFromJsonAsync<JsonObject>())!.ToJsonString());
        Assert.Equal("""{"task": "docs"}""", job.Payload);

        var stored = Assert.Single(await _service.Store.ListEventsAsync(new EventQuery(), default));
        Assert.Equal(InternalEvents.Manual, stored.EventType);
        Assert.Equal(InternalEvents.Manual, stored.HookId);
        Assert.True(Guid.TryParse(stored.DeliveryId, out _), stored.DeliveryId);
        Assert.Equal("""{"task": "docs"}""", stored.Payload);
    }

    [Theory]
    [InlineData("""{"job_type": null, "payload": null, "priority": null}""")]
    [InlineData("""{"job_type": "   "}""")]
    [InlineData("{}")]
    public async Task Null_or_blank_fields_take_their_defaults_a_manual_job_with_an_empty_payload_at_priority_0(string json)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _service.Http.SendAsync(_service.Manual(json))).StatusCode);
        var job = Assert.Single(await _service.AllJobsAsync());
        Assert.Equal(("manual", "{}", 0), (job.JobType, job.Payload, job.Priority));
    }

    [Fact]
    public async Task A_job_type_is_trimmed_and_json_may_be_sent_as_any_case_with_a_charset()
    {
        var request = _service.Manual();
        request.Content = new ByteArrayContent("""{"job_type": "  custom_task "}"""u8.ToArray());
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "Application/JSON ; charset=utf-8");
        Assert.Equal(HttpStatusCode.Accepted, (await _service.Http.SendAsync(request)).StatusCode);
        Assert.Equal("custom_task", Assert.Single(await _service.AllJobsAsync()).JobType);
    }

    [Theory]
    [InlineData(-1000)]
    [InlineData(1000)]
    public async Task The_priority_bounds_are_accepted(int priority)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _service.Http.SendAsync(_service.Manual($$"""{"priority": {{priority}}}"""))).StatusCode);
        Assert.Equal(priority, Assert.Single(await _service.AllJobsAsync()).Priority);
    }

    private const string BadPriority = "priority must be a whole number from -1000 to 1000 (higher runs first).";

    [Theory]
    [InlineData("-1001", "bad_priority")]
    [InlineData("1001", "bad_priority")]
    [InlineData("1.5", "malformed_body")]
    [InlineData("\"high\"", "malformed_body")]
    [InlineData("99999999999", "malformed_body")]
    public async Task A_priority_out_of_bounds_or_not_whole_names_the_bounds(string priority, string error) =>
        await BadBodyAsync($$"""{"priority": {{priority}}}""", error, BadPriority);

    [Fact]
    public async Task A_job_type_of_101_characters_is_refused_and_one_of_100_is_judged_by_the_routing_file()
    {
        await BadBodyAsync($$"""{"job_type": "{{new string('a', 101)}}"}""", "bad_job_type",
            "job_type must be 1–100 characters of letters, digits, '_', '-', '.' or ':'.");
        var longest = new string('a', 100);
        await BadBodyAsync($$"""{"job_type": "{{longest}}"}""", "job_type_not_allowed",
            $"job_type '{longest}' may not be queued by the manual trigger. It may queue custom_task, manual. To allow another, set \"manual\": true on the job type under \"jobs\" in the routing file (docs/routing.md).");
    }

    [Fact]
    public async Task Where_the_routing_file_opens_no_job_type_the_refusal_says_so()
    {
        await using var service = await TestService.StartAsync(roles: Roles.Webhook, routingJson: """{ "routes": [], "jobs": {} }""");
        var response = await service.Http.SendAsync(service.Manual());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(
            "job_type 'manual' may not be queued by the manual trigger. No job type may be: set \"manual\": true on the job type under \"jobs\" in the routing file (docs/routing.md).",
            (await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_body_that_is_not_an_object_shows_the_example() =>
        await BadBodyAsync("[1]", "malformed_body", $"The body must be a JSON object like {Example}.");

    [Fact]
    public async Task A_job_type_that_is_not_a_string_says_it_must_be_one() =>
        await BadBodyAsync("""{"job_type": 7}""", "malformed_body", "job_type must be a string, such as \"custom_task\".");

    [Fact]
    public async Task An_unknown_field_names_the_accepted_ones() =>
        await BadBodyAsync("""{"jobtype": "custom_task"}""", "malformed_body",
            $"The body has the field 'jobtype', which the manual trigger does not know. The accepted fields are job_type, payload and priority, as in {Example}.");

    [Theory]
    [InlineData("{\"job_type\": ")]
    [InlineData("{\"job_type\": \"\\ud800\"}")] // half a surrogate pair: valid JSON, but no text
    public async Task Json_that_cannot_be_read_says_what_is_wrong_after_the_example(string json)
    {
        var response = await _service.Http.SendAsync(_service.Manual(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("malformed_body", body["error"]!.GetValue<string>());
        var message = body["message"]!.GetValue<string>();
        Assert.StartsWith($"The body must be JSON like {Example}: ", message, StringComparison.Ordinal);
        Assert.True(message.Length > $"The body must be JSON like {Example}: ".Length, message);
        Assert.Empty(await _service.AllJobsAsync());
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415()
    {
        var request = _service.Manual();
        request.Content = new StringContent("job_type=x", Encoding.UTF8, "text/plain");
        await RefusedAsync(request, HttpStatusCode.UnsupportedMediaType, "unsupported_content_type",
            "Send the body as JSON with 'Content-Type: application/json'.");
    }

    [Fact]
    public async Task A_body_without_a_content_type_is_a_415()
    {
        var request = _service.Manual();
        request.Content = new ByteArrayContent("""{"job_type": "manual"}"""u8.ToArray());
        await RefusedAsync(request, HttpStatusCode.UnsupportedMediaType, "unsupported_content_type",
            "Send the body as JSON with 'Content-Type: application/json'.");
    }

    [Fact]
    public async Task A_body_over_1_MB_is_a_413()
    {
        var request = _service.Manual(new JsonObject { ["payload"] = new string('x', (int)ManualTrigger.MaxBodyBytes) }.ToJsonString());
        await RefusedAsync(request, HttpStatusCode.RequestEntityTooLarge, "payload_too_large", "A manual trigger body may be at most 1 MB.");
        Assert.Equal(1024 * 1024, ManualTrigger.MaxBodyBytes);
    }

    [Fact]
    public async Task A_payload_the_queue_cannot_store_is_a_400_naming_the_value()
    {
        const string json = """{"payload": {"a": 1e999999}}""";
        await BadBodyAsync(json, "unstorable_payload", StorableJson.Problem("""{"a": 1e999999}""")!);
    }

    /// <summary>
    /// With the budget at four 32 KB chunks, a manual body of two fits (a token holder is not a suspect
    /// limited to a quarter) and one of seven gets 503 busy.
    /// </summary>
    [Fact]
    public async Task With_the_body_budget_spent_a_manual_trigger_is_a_503_busy()
    {
        await using var service = await TestService.StartAsync(roles: Roles.Webhook, configure: o => o.WebhookBodyBudgetBytes = 4 * 32 * 1024);
        string Body(int kb) => new JsonObject { ["payload"] = new string('x', kb * 1024) }.ToJsonString();
        Assert.Equal(HttpStatusCode.Accepted, (await service.Http.SendAsync(service.Manual(Body(40)))).StatusCode);
        var response = await service.Http.SendAsync(service.Manual(Body(200)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter!.Delta);
        Assert.Equal("busy", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        Assert.Single(await service.AllJobsAsync());
    }
}
