using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFactory.Events;
using AgentFactory.Queue;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Ingest;

/// <summary>
/// Attacks on what the signature does not cover. GitHub signs the body only: the delivery GUID, the
/// hook id and the event name are headers anyone who once saw a signed delivery can change.
/// </summary>
public sealed class ReplayTests : IAsyncLifetime
{
    private const string Guid1 = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook);

    public async Task DisposeAsync() => await _service.DisposeAsync();

    private static readonly string Release = Fixtures.Read("release", "published");

    private static HttpRequestMessage Replay(string eventName, string? delivery, string? hook)
    {
        var request = Fixtures.Delivery(eventName, Release, TestService.Secret, delivery ?? Guid1);
        request.Headers.Remove("X-GitHub-Hook-ID");
        if (hook is not null) request.Headers.Add("X-GitHub-Hook-ID", hook);
        return request;
    }

    public static TheoryData<string, string?> Replays => new()
    {
        { Guid1.ToUpperInvariant(), "12345678" },   // the same GUID in upper case
        { Guid1, "87654321" },                      // another hook id
        { Guid1, null },                            // no hook id
        { Guid1 + "-1", "12345678" },               // a suffixed GUID
        { "00000000-0000-0000-0000-000000000001", "12345678" }, // any other GUID
    };

    [Theory]
    [MemberData(nameof(Replays))]
    public async Task The_same_signed_release_replayed_under_other_headers_is_a_duplicate_and_deploys_nothing_new(string delivery, string? hook)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _service.Http.SendAsync(Replay("release", Guid1, "12345678"))).StatusCode);

        var replay = await _service.Http.SendAsync(Replay("release", delivery, hook));

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal("duplicate", (await replay.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>());
        Assert.Equal("github_release", Assert.Single(await _service.AllJobsAsync()).JobType);
        Assert.Single(await _service.Store.ListEventsAsync(new EventQuery("release"), default));
    }

    [Fact]
    public async Task A_genuine_github_redelivery_same_guid_same_body_is_still_a_duplicate()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _service.Http.SendAsync(Replay("release", Guid1, "12345678"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _service.Http.SendAsync(Replay("release", Guid1, "12345678"))).StatusCode);
        Assert.Single(await _service.AllJobsAsync());
        Assert.Equal(Guid1, Assert.Single(await _service.Store.ListEventsAsync(new EventQuery("release"), default)).DeliveryId);
    }

    [Theory]
    [InlineData("heartbeat", "12345678")]
    [InlineData("manual", "12345678")]
    [InlineData("push", "heartbeat")] // the heartbeat rows' hook id
    public async Task A_delivery_under_an_internal_name_is_refused_and_cannot_fake_an_orchestrator_heartbeat(string eventName, string hook)
    {
        // No orchestrator runs: /health must keep saying so whatever a signed body's headers claim.
        var response = await _service.Http.SendAsync(Replay(eventName, "my-orchestrator-1", hook));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_headers", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        Assert.Empty(await _service.Store.ListEventsAsync(new EventQuery(), default));
        Assert.Null(await _service.Store.GetLastHeartbeatAsync(default));
        var health = await (await _service.Http.GetAsync("/health")).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("stopped", health!["orchestrator"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_stored_delivery_named_heartbeat_is_never_read_as_an_orchestrator_heartbeat()
    {
        // Defence in depth below ingest: the heartbeat is the row the orchestrator writes (hook id 'heartbeat'), not any row of that event type.
        await _service.Store.RecordDeliveryAsync(new NewWebhookEvent("fake", "12345678", "heartbeat", null, null, "{}"), [], default);
        Assert.Null(await _service.Store.GetLastHeartbeatAsync(default));
        await _service.Store.RecordHeartbeatAsync("real", "{}", default);
        Assert.Equal("real", (await _service.Store.GetLastHeartbeatAsync(default))!.Instance);
    }
}
