using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Ingest;

/// <summary>Recorded GitHub deliveries, signed, over real HTTP into the real service and its SQLite queue.</summary>
public sealed class GitHubEndpointTests : IAsyncLifetime
{
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook);

    public async Task DisposeAsync() => await _service.DisposeAsync();

    private async Task<HttpResponseMessage> Send(string eventName, string body, string? delivery = null, string hook = "1", string contentType = "application/json") =>
        await _service.Http.SendAsync(Fixtures.Delivery(eventName, body, TestService.Secret, delivery, hook, contentType));

    private static string LabeledAgentTask() =>
        Fixtures.Modified("issues", "labeled", n => n["label"]!["name"] = "agent-task");

    public static TheoryData<string, string, string?> Routed => new()
    {
        { "push", "push", "github_push" },                      // push to the default branch
        { "push", "push-other-branch", null },                  // other branches are recorded only
        { "release", "published", "github_release" },
        { "issues", "labeled", null },                          // labeled "bug", not agent-task
        { "issues", "opened", null },
        { "pull_request", "opened", "github_pull_request" },
        { "pull_request", "synchronize", "github_pull_request" },
        { "pull_request", "closed", null },
    };

    [Theory]
    [MemberData(nameof(Routed))]
    public async Task Recorded_delivery_becomes_the_right_job_or_is_only_recorded(string eventName, string fixture, string? jobType)
    {
        var response = await Send(eventName, Fixtures.Read(eventName, fixture));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jobs = await _service.AllJobsAsync();
        var ev = Assert.Single(await _service.Store.ListEventsAsync(new EventQuery(eventName), default));
        if (jobType is null)
        {
            Assert.Empty(jobs);
            Assert.False(ev.ConvertedToJob);
            return;
        }
        var job = Assert.Single(jobs);
        Assert.Equal(jobType, job.JobType);
        Assert.Equal(JobStatus.Pending, job.Status);
        Assert.Equal(ev.Id, job.EventId);
        Assert.True(ev.ConvertedToJob);
        using var sent = JsonDocument.Parse(Fixtures.Read(eventName, fixture));
        using var stored = JsonDocument.Parse(job.Payload);
        Assert.Equal(sent.RootElement.GetProperty("repository").GetProperty("full_name").GetString(),
                     stored.RootElement.GetProperty("repository").GetProperty("full_name").GetString());
    }

    [Fact]
    public async Task Issue_labeled_agent_task_becomes_github_issue()
    {
        var response = await Send("issues", LabeledAgentTask());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("github_issue", Assert.Single(await _service.AllJobsAsync()).JobType);
    }

    [Fact]
    public async Task Form_encoded_delivery_is_accepted_like_json()
    {
        var response = await Send("release", Fixtures.Read("release", "published"), contentType: "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("github_release", Assert.Single(await _service.AllJobsAsync()).JobType);
    }

    [Fact]
    public async Task Ping_is_answered_and_recorded_without_a_job()
    {
        var response = await Send("ping", Fixtures.Read("ping", "ping"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("pong", (await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>());
        Assert.Single(await _service.Store.ListEventsAsync(new EventQuery("ping"), default));
        Assert.Empty(await _service.AllJobsAsync());
    }

    [Fact]
    public async Task Redelivery_answers_2xx_and_creates_nothing_new()
    {
        var body = Fixtures.Read("push", "push");
        var first = await Send("push", body, delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        var again = await Send("push", body, delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("duplicate", (await again.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>());
        Assert.Single(await _service.AllJobsAsync());
        Assert.Single(await _service.Store.ListEventsAsync(new EventQuery("push"), default));
    }

    [Fact]
    public async Task Same_delivery_guid_from_another_hook_is_a_new_delivery_unless_its_body_is_the_same()
    {
        await Send("push", Fixtures.Read("push", "push"), delivery: "guid-1", hook: "111");
        var otherBody = await Send("push", Fixtures.Modified("push", "push", n => n["after"] = new string('c', 40)), delivery: "guid-1", hook: "222");
        var sameBody = await Send("push", Fixtures.Read("push", "push"), delivery: "guid-1", hook: "333");
        Assert.Equal(HttpStatusCode.Accepted, otherBody.StatusCode);
        Assert.Equal(HttpStatusCode.OK, sameBody.StatusCode); // one event delivered by two hooks runs once
        Assert.Equal(2, (await _service.AllJobsAsync()).Count);
    }

    [Fact]
    public async Task Concurrent_redeliveries_of_one_delivery_create_one_job()
    {
        var body = Fixtures.Read("push", "push");
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Send("push", body, delivery: "burst-1")));
        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Single(await _service.AllJobsAsync());
    }

    public static TheoryData<string, Func<HttpRequestMessage>, HttpStatusCode> BadRequests()
    {
        var body = Fixtures.Read("push", "push");
        HttpRequestMessage Signed(Action<HttpRequestMessage> change)
        {
            var r = Fixtures.Delivery("push", body, TestService.Secret);
            change(r);
            return r;
        }
        HttpRequestMessage WithBody(string raw, string contentType = "application/json")
        {
            var r = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = new StringContent(raw, Encoding.UTF8) };
            r.Content.Headers.ContentType = new(contentType);
            r.Headers.Add("X-GitHub-Event", "push");
            r.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
            r.Headers.Add("X-Hub-Signature-256", AgentFactory.Ingest.WebhookSignature.Sign(TestService.Secret, Encoding.UTF8.GetBytes(raw)));
            return r;
        }
        return new()
        {
            { "no signature", () => Signed(r => r.Headers.Remove("X-Hub-Signature-256")), HttpStatusCode.Unauthorized },
            { "wrong secret", () => Signed(r => { r.Headers.Remove("X-Hub-Signature-256"); r.Headers.Add("X-Hub-Signature-256", AgentFactory.Ingest.WebhookSignature.Sign("another-secret-0123456789", Encoding.UTF8.GetBytes(body))); }), HttpStatusCode.Unauthorized },
            { "sha1 only", () => Signed(r => { r.Headers.Remove("X-Hub-Signature-256"); r.Headers.Add("X-Hub-Signature", "sha1=0000000000000000000000000000000000000000"); }), HttpStatusCode.Unauthorized },
            { "tampered body", () => { var r = Fixtures.Delivery("push", body, TestService.Secret); r.Content = new StringContent(body + " ", Encoding.UTF8, "application/json"); return r; }, HttpStatusCode.Unauthorized },
            { "no event header", () => Signed(r => r.Headers.Remove("X-GitHub-Event")), HttpStatusCode.BadRequest },
            { "no delivery header", () => Signed(r => r.Headers.Remove("X-GitHub-Delivery")), HttpStatusCode.BadRequest },
            { "junk delivery header", () => Signed(r => { r.Headers.Remove("X-GitHub-Delivery"); r.Headers.Add("X-GitHub-Delivery", "../../etc/passwd"); }), HttpStatusCode.BadRequest },
            { "malformed json", () => WithBody("{\"ref\": "), HttpStatusCode.BadRequest },
            { "json array", () => WithBody("[1,2,3]"), HttpStatusCode.BadRequest },
            { "invalid utf-8", () => { var bytes = new byte[] { 0x7b, 0xff, 0xfe, 0x7d }; var r = WithBody("{}"); r.Content = new ByteArrayContent(bytes); r.Content.Headers.ContentType = new("application/json"); r.Headers.Remove("X-Hub-Signature-256"); r.Headers.Add("X-Hub-Signature-256", AgentFactory.Ingest.WebhookSignature.Sign(TestService.Secret, bytes)); return r; }, HttpStatusCode.BadRequest },
            { "text/plain", () => WithBody(body, "text/plain"), HttpStatusCode.UnsupportedMediaType },
            { "form without payload", () => WithBody("other=1", "application/x-www-form-urlencoded"), HttpStatusCode.BadRequest },
        };
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_request_gets_a_4xx_with_a_json_reason_and_no_job(string name, Func<HttpRequestMessage> request, HttpStatusCode expected)
    {
        var response = await _service.Http.SendAsync(request());
        Assert.True(expected == response.StatusCode, $"{name}: got {(int)response.StatusCode}");
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.False(string.IsNullOrWhiteSpace(problem!["message"]?.GetValue<string>()), name);
        Assert.Empty(await _service.AllJobsAsync());
    }

    [Fact]
    public async Task Body_over_githubs_25_MB_cap_gets_413_and_no_job()
    {
        var big = new byte[(25 * 1024 * 1024) + 1];
        Array.Fill(big, (byte)' ');
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = new ByteArrayContent(big) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-GitHub-Delivery", "big-1");
        request.Headers.ExpectContinue = true; // the answer comes before the body is sent
        request.Headers.Add("X-Hub-Signature-256", AgentFactory.Ingest.WebhookSignature.Sign(TestService.Secret, big));
        // Wait for the server's answer however long a loaded machine takes, rather than sending the body after 1 s.
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) }) { BaseAddress = _service.Http.BaseAddress };
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(await _service.AllJobsAsync());
        Assert.Empty(await _service.Store.ListEventsAsync(new EventQuery(), default));
    }

    [Fact]
    public async Task Wrong_method_or_path_never_gets_a_5xx()
    {
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await _service.Http.GetAsync("/webhook/github")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _service.Http.PostAsync("/webhook/gitlab", new StringContent("{}"))).StatusCode);
    }
}
