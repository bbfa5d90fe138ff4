using System.Text.Json.Nodes;
using AgentFactory.Models;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.AI;

namespace AgentFactory.Tests.Models;

/// <summary>Anthropic's official SDK, through the model layer, against a local server speaking the Messages API.</summary>
public sealed class AnthropicModelTests : IAsyncLifetime
{
    private const string Key = "sk-ant-test-key-0001";
    private FakeAnthropicServer _fake = null!;
    private ModelKit _kit = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeAnthropicServer.StartAsync();
        _kit = new ModelKit(new Dictionary<string, ModelEntry>
        {
            ["claude"] = new()
            {
                Provider = "anthropic", BaseUrl = _fake.BaseUrl.AbsoluteUri, Model = "claude-test", ApiKeyEnv = "ANTHROPIC_TEST_KEY",
                ContextWindow = 200_000, MaxOutputTokens = 2_048, InputUsdPerMillion = 3m, OutputUsdPerMillion = 15m,
            },
        }, new Dictionary<string, string> { ["ANTHROPIC_TEST_KEY"] = Key });
    }

    public async Task DisposeAsync()
    {
        _kit.Dispose();
        await _fake.DisposeAsync();
    }

    private ModelClient Claude => _kit.Clients.Get("claude");

    private static AIFunction ReadFile() =>
        AIFunctionFactory.Create((string path) => $"contents of {path}", "read_file", "Reads a file of the repository.");

    [Fact]
    public async Task A_tool_use_goes_round_trip_with_the_key_the_input_schema_and_the_tool_result_sent()
    {
        _fake.Script.Enqueue(ScriptedReply.Call("read_file", """{"path":"README.md"}""", "toolu_1", 2_000, 100), ScriptedReply.Say("It says hello.", 2_100, 10));
        using var chat = new FunctionInvokingChatClient(Claude.ChatFor(ModelKit.Scope()));

        var response = await chat.GetResponseAsync("What does the README say?", new ChatOptions { Tools = [ReadFile()] });

        Assert.Equal("It says hello.", response.Text);
        var requests = _fake.Messages.ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal($"Bearer {Key}", r.Authorization));
        Assert.All(requests, r => Assert.True(r.Headers.ContainsKey("anthropic-version")));
        var first = JsonNode.Parse(requests[0].Body)!;
        Assert.Equal(("claude-test", 2_048), (first["model"]!.GetValue<string>(), first["max_tokens"]!.GetValue<int>()));
        var tool = first["tools"]![0]!;
        Assert.Equal("read_file", tool["name"]!.GetValue<string>());
        Assert.Equal("string", tool["input_schema"]!["properties"]!["path"]!["type"]!.GetValue<string>());
        var result = JsonNode.Parse(requests[1].Body)!["messages"]!.AsArray()
            .SelectMany(m => m!["content"] is JsonArray blocks ? blocks : []).Single(b => b!["type"]!.GetValue<string>() == "tool_result")!;
        Assert.Equal("toolu_1", result["tool_use_id"]!.GetValue<string>());
        Assert.Contains("contents of README.md", result["content"]!.ToJsonString(), StringComparison.Ordinal);

        // 2000 × $3/M + 100 × $15/M = $0.0075 for the first call.
        Assert.Equal((2_000L, 100L, 0.0075m), (_kit.Observer.Calls[0].InputTokens, _kit.Observer.Calls[0].OutputTokens, _kit.Observer.Calls[0].Usd));
    }

    [Fact]
    public async Task Streaming_delivers_text_and_tool_use_input_deltas_with_the_usage()
    {
        _fake.Script.Enqueue(new ScriptedReply
        {
            Text = "Let me look.", ToolCalls = [new("read_file", """{"path":"src/app.cs"}""", "toolu_7")], InputTokens = 500, OutputTokens = 64,
        });

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in Claude.ChatFor(ModelKit.Scope()).GetStreamingResponseAsync("Look at app.cs", new ChatOptions { Tools = [ReadFile()] }))
            updates.Add(update);

        var response = updates.ToChatResponse();
        Assert.Equal("Let me look.", response.Text);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(("toolu_7", "read_file", "src/app.cs"), (call.CallId, call.Name, call.Arguments!["path"]!.ToString()));
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.True(JsonNode.Parse(Assert.Single(_fake.Messages).Body)!["stream"]!.GetValue<bool>());
        var observed = Assert.Single(_kit.Observer.Calls);
        Assert.Equal((500L, 64L, false), (observed.InputTokens, observed.OutputTokens, observed.UsageEstimated));
    }

    [Fact]
    public async Task Rate_limit_overloaded_and_server_errors_are_retried_and_the_call_succeeds()
    {
        _fake.Fail("POST", FakeAnthropicServer.MessagesPath, 429, body: FakeAnthropicServer.ErrorBody("rate_limit_error", "Number of requests has exceeded your rate limit"),
            headers: new Dictionary<string, string> { ["retry-after"] = "0" });
        _fake.Fail("POST", FakeAnthropicServer.MessagesPath, 529, body: FakeAnthropicServer.ErrorBody("overloaded_error", "Overloaded"));
        _fake.Fail("POST", FakeAnthropicServer.MessagesPath, 500, body: FakeAnthropicServer.ErrorBody("api_error", "Internal server error"));
        _fake.Script.Enqueue(ScriptedReply.Say("Got through."));

        var response = await Claude.ChatFor(ModelKit.Scope()).GetResponseAsync("Hello");

        Assert.Equal("Got through.", response.Text);
        Assert.Equal(4, _fake.Messages.Count());
    }

    [Fact]
    public async Task Overloaded_that_persists_ends_as_unavailable_after_the_retries()
    {
        _fake.Fail("POST", FakeAnthropicServer.MessagesPath, 529, times: 10, body: FakeAnthropicServer.ErrorBody("overloaded_error", "Overloaded"));

        var e = await Assert.ThrowsAsync<ModelUnavailableException>(() => Claude.ChatFor(ModelKit.Scope()).GetResponseAsync("Hello"));

        Assert.Equal(529, e.Status);
        Assert.Equal(ModelSpec.DefaultMaxRetries + 1, _fake.Messages.Count());
    }

    [Fact]
    public async Task A_model_that_never_answers_fails_after_its_time_out_naming_the_setting()
    {
        using var kit = new ModelKit(new Dictionary<string, ModelEntry>
        {
            ["slow"] = new() { Provider = "anthropic", BaseUrl = _fake.BaseUrl.AbsoluteUri, Model = "claude-test", MaxOutputTokens = 100, TimeoutSeconds = 1, MaxRetries = 0 },
        });
        _fake.Script.Enqueue(new ScriptedReply { Hang = true });

        var e = await Assert.ThrowsAsync<ModelUnavailableException>(() => kit.Clients.Get("slow").ChatFor(ModelKit.Scope()).GetResponseAsync("Hello"));

        Assert.Contains("did not answer within 1 s (models.slow.timeoutSeconds)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unauthorized_is_not_retried_and_names_the_key_setting()
    {
        _fake.Fail("POST", FakeAnthropicServer.MessagesPath, 401, times: 10, body: FakeAnthropicServer.ErrorBody("authentication_error", "invalid x-api-key"));

        var e = await Assert.ThrowsAsync<ModelRejectedException>(() => Claude.ChatFor(ModelKit.Scope()).GetResponseAsync("Hello"));

        Assert.Single(_fake.Messages);
        Assert.Contains("answered 401: invalid x-api-key. Check the API key in ANTHROPIC_TEST_KEY (models.claude.apiKeyEnv).", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reply_cut_at_max_tokens_is_reported_as_truncated()
    {
        _fake.Script.Enqueue(ScriptedReply.Cut("The first half of"));

        var e = await Assert.ThrowsAsync<ModelReplyException>(() => Claude.ChatFor(ModelKit.Scope()).GetResponseAsync("Write a lot"));

        Assert.Equal(ModelReplyProblem.Truncated, e.Problem);
        Assert.Contains("output limit of 2048 tokens", e.ToolError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_budget_refuses_the_call_before_anything_is_sent()
    {
        var chat = Claude.ChatFor(ModelKit.Scope(new BudgetLimits { OutputTokens = 1_000 }));

        var e = await Assert.ThrowsAsync<BudgetExceededException>(() => chat.GetResponseAsync("Hello"));

        Assert.Equal(BudgetKind.OutputTokens, e.Budget);
        Assert.Empty(_fake.Requests);
    }
}
