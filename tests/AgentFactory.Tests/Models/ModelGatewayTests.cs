using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AgentFactory.Models.Gateway;
using AgentFactory.Sandbox;
using AgentFactory.Tests.Sandbox;

namespace AgentFactory.Tests.Models;

/// <summary>
/// The model gateway spoken to over its socket and through a job's egress socket: a live per-job token is
/// exchanged for the model's real key, anything else is refused before it reaches a model.
/// </summary>
public sealed class ModelGatewayTests : IAsyncLifetime
{
    private GatewayKit _kit = null!;

    public async Task InitializeAsync() => _kit = await GatewayKit.StartAsync();

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task An_anthropic_stream_is_forwarded_with_the_real_key_in_place_of_the_token_and_the_model_pinned()
    {
        using var grant = await _kit.GrantAsync("claude");
        using var http = GatewayKit.UnixClient(_kit.Gateway.SocketPath);
        using var request = Messages(grant.Token, """{"model":"claude-haiku-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var events = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("event: message_stop", events);
        var seen = Assert.Single(_kit.Anthropic.Messages);
        Assert.Equal(GatewayKit.AnthropicKey, seen.Headers["x-api-key"]);
        Assert.Equal("2023-06-01", seen.Headers["anthropic-version"]);
        Assert.Equal("?beta=true", seen.Query);
        Assert.Equal("claude-sonnet-4-5", JsonNode.Parse(seen.Body)!["model"]!.GetValue<string>());
        Assert.DoesNotContain(_kit.EverythingTheModelsSaw, v => v.Contains(grant.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_openai_call_with_the_token_as_bearer_is_forwarded_under_the_base_url_with_the_real_key()
    {
        using var grant = await _kit.GrantAsync("gpt");
        using var http = GatewayKit.UnixClient(_kit.Gateway.SocketPath);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grant.Token);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(_kit.OpenAi.Completions);
        Assert.Equal("Bearer " + GatewayKit.OpenAiKey, seen.Authorization);
        Assert.Equal("gpt-5-codex", JsonNode.Parse(seen.Body)!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Attack_a_token_stolen_from_a_run_that_ended_is_refused_and_nothing_reaches_the_model()
    {
        var grant = await _kit.GrantAsync("claude");
        var stolen = grant.Token;
        grant.Dispose();
        using var http = GatewayKit.UnixClient(_kit.Gateway.SocketPath);

        using var response = await http.SendAsync(Messages(stolen));

        Assert.Empty(_kit.Anthropic.Requests);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("not a token of a running job", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Attack_a_token_past_its_expiry_is_refused_even_if_the_run_never_released_it()
    {
        using var grant = await _kit.GrantAsync("claude");
        _kit.Time.Advance(TimeSpan.FromMinutes(31));
        using var http = GatewayKit.UnixClient(_kit.Gateway.SocketPath);

        using var response = await http.SendAsync(Messages(grant.Token));

        Assert.Empty(_kit.Anthropic.Requests);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("afgw-made-up-token")]
    [InlineData(GatewayKit.AnthropicKey)]
    public async Task Attack_a_missing_or_guessed_token_is_refused(string? token)
    {
        using var grant = await _kit.GrantAsync("claude");
        using var http = GatewayKit.UnixClient(_kit.Gateway.SocketPath);

        using var response = await http.SendAsync(Messages(token));

        Assert.Empty(_kit.Anthropic.Requests);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(_kit.Log.Entries, e => e.Message.Contains("Model gateway refused POST /v1/messages", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("GET", "/v1/models")]
    [InlineData("POST", "/v1/complete")]
    [InlineData("POST", "/v1/files")]
    [InlineData("POST", "/v1/messages/batches")]
    [InlineData("DELETE", "/v1/messages")]
    [InlineData("POST", "/admin/api/jobs")]
    public async Task Attack_a_valid_token_reaches_nothing_but_the_model_endpoints(string method, string path)
    {
        using var grant = await _kit.GrantAsync("claude");
        using var http = GatewayKit.UnixClient(_kit.Gateway.SocketPath);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", grant.Token);

        using var response = await http.SendAsync(request);

        Assert.Empty(_kit.Anthropic.Requests);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("is not a model endpoint this gateway forwards", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Through_the_egress_proxy_the_reserved_name_reaches_the_gateway_only_for_a_job_that_lists_it()
    {
        using var grant = await _kit.GrantAsync("claude");
        await using var proxy = new EgressProxy(new ListLogger<EgressProxy>(), new EgressProxyOptions { Routes = _kit.Gateway.Routes });
        await using var cliJob = proxy.Open(7, [ModelGateway.Address]);
        await using var otherJob = proxy.Open(8, []);

        using var allowed = await GatewayKit.UnixClient(cliJob.SocketPath).SendAsync(Messages(grant.Token));
        using var refused = await GatewayKit.UnixClient(otherJob.SocketPath).SendAsync(Messages(grant.Token));

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("models.agentfactory.internal:80 is not in this agent's network allowlist", await refused.Content.ReadAsStringAsync());
        Assert.Single(_kit.Anthropic.Messages);
    }

    [Fact]
    public async Task A_model_that_cannot_be_reached_is_answered_502_with_its_name()
    {
        using var grant = await _kit.GrantAsync("claude");
        await _kit.Anthropic.DisposeAsync();
        using var http = GatewayKit.UnixClient(_kit.Gateway.SocketPath);

        using var response = await http.SendAsync(Messages(grant.Token));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("model claude at 127.0.0.1 could not be reached", await response.Content.ReadAsStringAsync());
    }

    private static HttpRequestMessage Messages(string? token, string body = """{"model":"x","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages?beta=true") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("anthropic-version", "2023-06-01");
        if (token is not null) request.Headers.TryAddWithoutValidation("x-api-key", token);
        return request;
    }
}
