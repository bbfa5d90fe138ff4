using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AgentFactory.Events;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static AgentFactory.Tests.Ingest.WebhookAnswersTests;

namespace AgentFactory.Tests.Ingest;

/// <summary>
/// What POST /webhook/github answers to a delivery it takes, word for word: 202 queued or recorded with
/// the jobs and any refused trigger, 200 pong for a ping (which routes nothing) and 200 duplicate for a
/// redelivery, what is stored, the deliveries counter's outcome label and the log line.
/// </summary>
public sealed class WebhookAcceptedAnswersTests : IAsyncLifetime
{
    private readonly LogCapture _logs = new();
    private TestService _service = null!;
    private DeliveryCounter _counted = null!;

    public async Task InitializeAsync()
    {
        _service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook, routingJson: WebhookAnswersTests.Routing,
            configure: o => o.LogLevel = "DEBUG", services: s => s.AddSingleton<ILoggerProvider>(_logs));
        _counted = new DeliveryCounter(_service);
    }

    public async Task DisposeAsync()
    {
        _counted.Dispose();
        await _service.DisposeAsync();
    }

    [Fact]
    public async Task A_routed_delivery_is_202_queued_with_its_jobs_and_stored_with_action_and_repository()
    {
        var id = Guid.NewGuid().ToString();
        var response = await _service.Http.SendAsync(Signed(LabeledAgentTask(), "issues", id: id));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Null(response.Headers.Location);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var jobs = (await _service.AllJobsAsync()).OrderBy(j => j.Id).ToList();
        Assert.Equal(["audit", "github_issue"], jobs.Select(j => j.JobType));
        var stored = Assert.Single(await _service.Store.ListEventsAsync(new EventQuery(), default));
        var expected = new JsonObject
        {
            ["status"] = "queued",
            ["delivery"] = id,
            ["event_id"] = stored.Id,
            ["jobs"] = new JsonArray([.. jobs.Select(j => new JsonObject { ["id"] = j.Id, ["job_type"] = j.JobType })]),
            ["refused"] = null,
        };
        Assert.Equal(expected.ToJsonString(), body.ToJsonString());
        Assert.Equal("labeled", stored.Action);
        Assert.Equal("Codertocat/Hello-World", stored.Repository);
        Assert.Equal(["issues/queued"], _counted.Seen);
        Assert.Contains(_logs.Lines, l => l == $"Debug AgentFactory.Ingest: Delivery issues/labeled {id}: duplicate=False, jobs=2");
    }

    [Fact]
    public async Task A_delivery_whose_sender_may_not_start_agent_work_says_why_in_refused()
    {
        var bot = JsonNode.Parse(LabeledAgentTask())!;
        bot["sender"]!["type"] = "Bot";
        bot["sender"]!["login"] = "renovate[bot]";
        var response = await _service.Http.SendAsync(Signed(bot.ToJsonString(), "issues"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("queued", body["status"]!.GetValue<string>());
        Assert.Equal("audit", Assert.Single(await _service.AllJobsAsync()).JobType);
        var stored = Assert.Single(await _service.Store.ListEventsAsync(new EventQuery(), default));
        Assert.NotNull(stored.TriggerRefusal);
        Assert.Equal(stored.TriggerRefusal!.Split('\n'), body["refused"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Contains("github_issue", stored.TriggerRefusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_delivery_no_route_wants_is_202_recorded()
    {
        var routing = """{ "routes": [], "jobs": {} }""";
        await using var service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook, routingJson: routing);
        using var counted = new DeliveryCounter(service);
        var response = await service.Http.SendAsync(Signed(Fixtures.Read("push", "push")));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("recorded", body["status"]!.GetValue<string>());
        Assert.Empty(body["jobs"]!.AsArray());
        Assert.Equal(["push/recorded"], counted.Seen);
    }

    [Fact]
    public async Task A_ping_is_pong_and_routes_nothing_even_where_a_route_takes_every_event()
    {
        var id = Guid.NewGuid().ToString();
        var response = await _service.Http.SendAsync(Signed(Fixtures.Read("ping", "ping"), "ping", id: id));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = Assert.Single(await _service.Store.ListEventsAsync(new EventQuery(), default));
        var expected = new JsonObject { ["status"] = "pong", ["delivery"] = id, ["event_id"] = stored.Id };
        Assert.Equal(expected.ToJsonString(), (await response.Content.ReadFromJsonAsync<JsonObject>())!.ToJsonString());
        Assert.Empty(await _service.AllJobsAsync());
        Assert.Equal(["ping/recorded"], _counted.Seen);
    }

    [Fact]
    public async Task A_redelivery_is_200_duplicate_and_says_nothing_new_was_queued()
    {
        var id = Guid.NewGuid().ToString();
        var push = Fixtures.Read("push", "push");
        Assert.Equal(HttpStatusCode.Accepted, (await _service.Http.SendAsync(Signed(push, id: id))).StatusCode);
        var again = await _service.Http.SendAsync(Signed(push, id: id));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var stored = Assert.Single(await _service.Store.ListEventsAsync(new EventQuery(), default));
        var expected = new JsonObject
        {
            ["status"] = "duplicate", ["delivery"] = id, ["event_id"] = stored.Id, ["message"] = "Already received; nothing new was queued.",
        };
        Assert.Equal(expected.ToJsonString(), (await again.Content.ReadFromJsonAsync<JsonObject>())!.ToJsonString());
        Assert.Equal(["push/queued", "push/duplicate"], _counted.Seen);
        Assert.Single(await _service.AllJobsAsync());
        Assert.Equal(
            [$"Debug AgentFactory.Ingest: Delivery push/- {id}: duplicate=False, jobs=1", $"Debug AgentFactory.Ingest: Delivery push/- {id}: duplicate=True, jobs=0"],
            _logs.Lines.Where(l => l.StartsWith("Debug AgentFactory.Ingest: Delivery ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_form_encoded_delivery_stores_the_json_of_its_payload_field()
    {
        var push = Fixtures.Read("push", "push");
        var form = Encoding.ASCII.GetBytes("payload=" + Uri.EscapeDataString(push));
        Assert.Equal(HttpStatusCode.Accepted, (await _service.Http.SendAsync(SignedBytes(form, "Application/X-WWW-Form-Urlencoded; charset=utf-8"))).StatusCode);
        Assert.Equal(push, Assert.Single(await _service.AllJobsAsync()).Payload);
    }

    [Fact]
    public async Task A_json_content_type_in_capitals_with_a_charset_is_json()
    {
        var push = Fixtures.Read("push", "push");
        Assert.Equal(HttpStatusCode.Accepted, (await _service.Http.SendAsync(SignedBytes(Encoding.UTF8.GetBytes(push), " Application/JSON ; charset=utf-8"))).StatusCode);
        Assert.Equal(push, Assert.Single(await _service.AllJobsAsync()).Payload);
    }
}
