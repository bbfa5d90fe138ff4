using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AgentFactory.Events;
using AgentFactory.Ingest;
using AgentFactory.Queue;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentFactory.Tests.Ingest;

/// <summary>
/// What POST /webhook/github answers to a delivery it refuses, word for word: the status, the error code
/// and the message a user reads in GitHub's Recent Deliveries, the headers, the deliveries counter's
/// outcome label and the log line. The other endpoint tests check that a bad request is refused; these
/// check that it is refused with the right reason. What it answers to the ones it takes is in
/// WebhookAcceptedAnswersTests.
/// </summary>
public sealed class WebhookAnswersTests : IAsyncLifetime
{
    // A route for every event (so that only the endpoint's own rule keeps a ping from routing), and the shipped issue route.
    internal const string Routing = """
        {
          "routes": [
            { "event": "*", "jobType": "audit" },
            { "event": "issues", "actions": ["labeled"], "labels": ["agent-task"], "jobType": "github_issue" }
          ],
          "jobs": { "audit": { "agent": "log" }, "github_issue": { "agent": "task" } },
          "agents": { "task": { "kind": "task" } }
        }
        """;

    private readonly LogCapture _logs = new();
    private TestService _service = null!;
    private DeliveryCounter _counted = null!;

    public async Task InitializeAsync()
    {
        _service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook, routingJson: Routing,
            configure: o => o.LogLevel = "DEBUG", services: s => s.AddSingleton<ILoggerProvider>(_logs));
        _counted = new DeliveryCounter(_service);
    }

    public async Task DisposeAsync()
    {
        _counted.Dispose();
        await _service.DisposeAsync();
    }

    internal static HttpRequestMessage Signed(string body, string eventName = "push", string contentType = "application/json", string? id = null) =>
        Fixtures.Delivery(eventName, body, TestService.Secret, id, contentType: contentType);

    private static HttpRequestMessage Raw(byte[] body, string? contentType, string signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = new ByteArrayContent(body) };
        if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", signature);
        return request;
    }

    internal static HttpRequestMessage SignedBytes(byte[] body, string? contentType) =>
        Raw(body, contentType, WebhookSignature.Sign(TestService.Secret, body));

    private async Task<JsonObject> ProblemAsync(HttpRequestMessage request, HttpStatusCode status, string error, string message, string outcome)
    {
        var response = await _service.Http.SendAsync(request);
        Assert.Equal(status, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(error, body["error"]!.GetValue<string>());
        Assert.Equal(message, body["message"]!.GetValue<string>());
        Assert.Equal([outcome], _counted.Seen);
        Assert.Empty(await _service.AllJobsAsync());
        return body;
    }

    [Fact]
    public async Task A_missing_signature_says_to_set_the_webhooks_secret_and_is_logged_with_the_address()
    {
        var request = Signed("{}");
        request.Headers.Remove("X-Hub-Signature-256");
        await ProblemAsync(request, HttpStatusCode.Unauthorized, "invalid_signature",
            "The X-Hub-Signature-256 header is missing. Set a secret on the GitHub webhook equal to GITHUB_WEBHOOK_SECRET.", "unknown/bad_signature");
        Assert.Contains(_logs.Lines, l => l == "Warning AgentFactory.Ingest: Rejected webhook delivery from 127.0.0.1: signature Missing");
    }

    [Fact]
    public async Task A_malformed_signature_says_what_form_it_must_have()
    {
        await ProblemAsync(Raw("{}"u8.ToArray(), "application/json", "sha256=xyz"), HttpStatusCode.Unauthorized, "invalid_signature",
            "The X-Hub-Signature-256 header is not of the form sha256=<64 hex digits>.", "unknown/bad_signature");
        Assert.Contains(_logs.Lines, l => l == "Warning AgentFactory.Ingest: Rejected webhook delivery from 127.0.0.1: signature Malformed");
    }

    [Fact]
    public async Task A_signature_with_the_wrong_secret_says_the_secrets_must_match()
    {
        await ProblemAsync(Raw("{}"u8.ToArray(), "application/json", WebhookSignature.Sign("another-secret-0123456789", "{}"u8.ToArray())),
            HttpStatusCode.Unauthorized, "invalid_signature",
            "The X-Hub-Signature-256 signature does not match. The webhook's secret on GitHub must equal GITHUB_WEBHOOK_SECRET (or the generated data/webhook-secret).",
            "unknown/bad_signature");
        Assert.Contains(_logs.Lines, l => l == "Warning AgentFactory.Ingest: Rejected webhook delivery from 127.0.0.1: signature Mismatch");
    }

    [Fact]
    public async Task Once_throttled_a_bad_signature_gets_429_with_retry_after_while_a_good_one_still_gets_through()
    {
        var limit = _service.Host.Services.GetRequiredService<FailedRequestLimiter>();
        while (!limit.IsBlocked(IPAddress.Loopback)) limit.RecordFailure(IPAddress.Loopback);

        const string tooMany = "Too many unsigned or mis-signed requests from this address; try again in a minute. Check that the webhook secret matches.";
        var unsigned = Signed("{}");
        unsigned.Headers.Remove("X-Hub-Signature-256");
        await ProblemAsync(unsigned, HttpStatusCode.TooManyRequests, "too_many_failures", tooMany, "unknown/rate_limited");
        var response = await _service.Http.SendAsync(Raw("{}"u8.ToArray(), "application/json", WebhookSignature.Sign("another-secret-0123456789", "{}"u8.ToArray())));
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(60), response.Headers.RetryAfter!.Delta);
        Assert.Equal(tooMany, (await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Accepted, (await _service.Http.SendAsync(Signed(Fixtures.Read("push", "push")))).StatusCode);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains("Rejected webhook delivery", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_event_header_is_a_400_bad_headers()
    {
        var request = Signed("{}");
        request.Headers.Remove("X-GitHub-Event");
        await ProblemAsync(request, HttpStatusCode.BadRequest, "bad_headers",
            "The X-GitHub-Event header is missing. Only GitHub webhook deliveries are accepted here.", "unknown/bad_request");
    }

    [Fact]
    public async Task A_content_type_github_does_not_send_is_a_415_naming_the_two_it_does()
    {
        await ProblemAsync(SignedBytes("{}"u8.ToArray(), "text/plain; charset=utf-8"), HttpStatusCode.UnsupportedMediaType, "unsupported_content_type",
            "Content type 'text/plain; charset=utf-8' is not supported: use application/json (recommended) or application/x-www-form-urlencoded in the GitHub webhook settings.",
            "unknown/bad_request");
    }

    [Fact]
    public async Task No_content_type_is_a_415_too()
    {
        await ProblemAsync(SignedBytes("{}"u8.ToArray(), null), HttpStatusCode.UnsupportedMediaType, "unsupported_content_type",
            "Content type '' is not supported: use application/json (recommended) or application/x-www-form-urlencoded in the GitHub webhook settings.",
            "unknown/bad_request");
    }

    [Fact]
    public async Task A_body_that_is_not_utf8_is_a_400()
    {
        await ProblemAsync(SignedBytes([0x7b, 0xff, 0xfe, 0x7d], "application/json"), HttpStatusCode.BadRequest, "malformed_payload",
            "The body is not valid UTF-8.", "unknown/bad_request");
    }

    [Theory]
    [InlineData("other=1")]
    [InlineData("payload=")]
    [InlineData("payload=%7B%7D&payload=%7B%7D")]
    public async Task A_form_without_exactly_one_payload_field_is_a_400(string form)
    {
        await ProblemAsync(SignedBytes(Encoding.ASCII.GetBytes(form), "application/x-www-form-urlencoded"), HttpStatusCode.BadRequest, "malformed_payload",
            "A form-encoded delivery must carry the JSON in one 'payload' field.", "unknown/bad_request");
    }

    [Fact]
    public async Task A_json_array_is_a_400_asking_for_an_object()
    {
        await ProblemAsync(Signed("[1,2,3]"), HttpStatusCode.BadRequest, "malformed_payload", "The payload must be a JSON object.", "unknown/bad_request");
    }

    [Fact]
    public async Task Malformed_json_is_a_400_that_says_what_the_parser_found()
    {
        var response = await _service.Http.SendAsync(Signed("{\"ref\": "));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("malformed_payload", body["error"]!.GetValue<string>());
        var message = body["message"]!.GetValue<string>();
        Assert.StartsWith("The payload is not valid JSON: ", message, StringComparison.Ordinal);
        Assert.Contains("LineNumber: 0", message, StringComparison.Ordinal);
        Assert.Equal(["unknown/bad_request"], _counted.Seen);
    }

    [Fact]
    public async Task A_routed_field_holding_half_a_surrogate_pair_is_a_400_that_names_it()
    {
        // Ingest reads "action" as text; half a pair is no text, so this fails while routing, before the store judges it.
        var response = await _service.Http.SendAsync(Signed("""{"action": "\ud800"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("unstorable_payload", body["error"]!.GetValue<string>());
        Assert.Equal(StorableJson.Problem("""{"action": "\ud800"}"""), body["message"]!.GetValue<string>());
        Assert.Equal(["unknown/bad_request"], _counted.Seen);
        Assert.Empty(await _service.Store.ListEventsAsync(new EventQuery(), default));
    }

    [Fact]
    public async Task A_number_the_queue_cannot_store_is_a_400_for_that_delivery_logged_with_its_id()
    {
        var id = Guid.NewGuid().ToString();
        var response = await _service.Http.SendAsync(Signed("""{"a": 1e999999}""", id: id));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("unstorable_payload", body["error"]!.GetValue<string>());
        var reason = body["message"]!.GetValue<string>();
        Assert.Equal(StorableJson.Problem("""{"a": 1e999999}"""), reason);
        Assert.Equal(["unknown/bad_request"], _counted.Seen);
        Assert.Contains(_logs.Lines, l => l == $"Warning AgentFactory.Ingest: Refused delivery push {id}: {reason}");
        Assert.Empty(await _service.Store.ListEventsAsync(new EventQuery(), default));
    }

    [Fact]
    public async Task A_body_over_githubs_limit_is_a_413_that_names_the_limit()
    {
        var big = new byte[(25 * 1024 * 1024) + 1];
        Array.Fill(big, (byte)' ');
        var request = SignedBytes(big, "application/json");
        request.Headers.ExpectContinue = true; // the answer comes before the body is sent
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) }) { BaseAddress = _service.Http.BaseAddress };
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("payload_too_large", body["error"]!.GetValue<string>());
        Assert.Equal("The body is larger than GitHub's 25 MB webhook limit.", body["message"]!.GetValue<string>());
        Assert.Equal(["unknown/too_large"], _counted.Seen);
    }

    /// <summary>
    /// With the budget at four 32 KB chunks: a body of two chunks fits, until the sender is throttled and
    /// shares a quarter; a body of seven never fits. Each is a 503 busy, and only the first of the three is logged.
    /// </summary>
    [Fact]
    public async Task A_spent_body_budget_is_a_503_busy_logged_once_and_a_throttled_sender_gets_a_quarter_of_it()
    {
        var logs = new LogCapture();
        await using var service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook, routingJson: Routing,
            configure: o => o.WebhookBodyBudgetBytes = 4 * 32 * 1024, services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var counted = new DeliveryCounter(service);
        string Body(int kb) => new JsonObject { ["ref"] = "refs/heads/main", ["pad"] = new string('x', kb * 1024) }.ToJsonString();

        Assert.Equal(HttpStatusCode.Accepted, (await service.Http.SendAsync(Signed(Body(40)))).StatusCode);
        var limit = service.Host.Services.GetRequiredService<FailedRequestLimiter>();
        while (!limit.IsBlocked(IPAddress.Loopback)) limit.RecordFailure(IPAddress.Loopback);
        foreach (var kb in new[] { 40, 200, 200 })
        {
            var response = await service.Http.SendAsync(Signed(Body(kb)));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter!.Delta);
            Assert.Equal("busy", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        }
        Assert.Equal(HttpStatusCode.Accepted, (await service.Http.SendAsync(Signed(Body(10)))).StatusCode);
        Assert.Equal(["push/queued", "unknown/busy", "unknown/busy", "unknown/busy", "push/queued"], counted.Seen);
        Assert.Equal(
            ["Warning AgentFactory.Ingest: Answered 503 to a webhook request from 127.0.0.1: the request bodies in flight hold WEBHOOK_BODY_BUDGET_MB"],
            logs.Lines.Where(l => l.Contains("Answered 503", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task With_the_store_down_a_delivery_is_a_503_counted_under_its_event_and_logged_with_its_id()
    {
        var logs = new LogCapture();
        await using var service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook, services: s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
            s.AddSingleton<AgentFactory.Queue.IJobStore>(sp => StoreDownTests.BrokenStore.Over(sp.GetRequiredService<AgentFactory.Queue.Sqlite.SqliteJobStore>()));
        });
        using var counted = new DeliveryCounter(service);
        var id = Guid.NewGuid().ToString();
        var response = await service.Http.SendAsync(Signed(Fixtures.Read("push", "push"), id: id));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("store_unavailable", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        Assert.Equal(["push/store_unavailable"], counted.Seen);
        Assert.Contains(logs.Lines, l => l == $"Error AgentFactory.Ingest: Could not store delivery {id}: disk I/O error (simulated); answered 503");
    }

    internal static string LabeledAgentTask() => Fixtures.Modified("issues", "labeled", n => n["label"]!["name"] = "agent-task");
}
