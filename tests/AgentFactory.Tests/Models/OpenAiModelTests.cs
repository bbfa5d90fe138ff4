using System.Text.Json.Nodes;
using AgentFactory.Models;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.AI;

namespace AgentFactory.Tests.Models;

/// <summary>The real OpenAI client, through the model layer, against a local server speaking chat completions.</summary>
public sealed class OpenAiModelTests : IAsyncLifetime
{
    private const string Key = "sk-openai-test-key-0001";
    private FakeOpenAiServer _fake = null!;
    private ModelKit _kit = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeOpenAiServer.StartAsync();
        _kit = Kit(new ModelEntry
        {
            BaseUrl = _fake.V1.AbsoluteUri, Model = "gpt-test", ApiKeyEnv = "OPENAI_TEST_KEY",
            ContextWindow = 100_000, MaxOutputTokens = 1_000, InputUsdPerMillion = 2m, OutputUsdPerMillion = 8m,
        });
    }

    public async Task DisposeAsync()
    {
        _kit.Dispose();
        await _fake.DisposeAsync();
    }

    private static ModelKit Kit(ModelEntry entry) =>
        new(new Dictionary<string, ModelEntry> { ["gpt"] = entry }, new Dictionary<string, string> { ["OPENAI_TEST_KEY"] = Key });

    private ModelClient Gpt => _kit.Clients.Get("gpt");

    private static AIFunction ReadFile() =>
        AIFunctionFactory.Create((string path) => $"contents of {path}", "read_file", "Reads a file of the repository.");

    [Fact]
    public async Task A_tool_call_goes_round_trip_with_the_key_the_tool_schema_and_the_result_sent()
    {
        _fake.Script.Enqueue(ScriptedReply.Call("read_file", """{"path":"README.md"}""", "call_1", 1_000, 500), ScriptedReply.Say("The README says hello.", 1_200, 20));
        using var chat = new FunctionInvokingChatClient(Gpt.ChatFor(ModelKit.Scope()));

        var response = await chat.GetResponseAsync("What does the README say?", new ChatOptions { Tools = [ReadFile()] });

        Assert.Equal("The README says hello.", response.Text);
        var requests = _fake.Completions.ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal($"Bearer {Key}", r.Authorization));
        var first = JsonNode.Parse(requests[0].Body)!;
        Assert.Equal("gpt-test", first["model"]!.GetValue<string>());
        Assert.Equal(1_000, first["max_completion_tokens"]!.GetValue<int>());
        var tool = first["tools"]![0]!["function"]!;
        Assert.Equal("read_file", tool["name"]!.GetValue<string>());
        Assert.Equal("string", tool["parameters"]!["properties"]!["path"]!["type"]!.GetValue<string>());
        var toolMessage = JsonNode.Parse(requests[1].Body)!["messages"]!.AsArray().Single(m => m!["role"]!.GetValue<string>() == "tool")!;
        Assert.Equal("call_1", toolMessage["tool_call_id"]!.GetValue<string>());
        Assert.Contains("contents of README.md", toolMessage["content"]!.ToString(), StringComparison.Ordinal);

        // Usage and cost come from the provider's counts at the catalog's prices: 1000 × $2/M + 500 × $8/M.
        var calls = _kit.Observer.Calls;
        Assert.Equal(2, calls.Count);
        Assert.Equal((1_000, 500, 0.006m, false), (calls[0].InputTokens, calls[0].OutputTokens, calls[0].Usd, calls[0].UsageEstimated));
        Assert.Equal(ModelCallOutcome.Completed, calls[0].Outcome);
        var spend = await _kit.Ledger.JobSpendAsync(1, default);
        Assert.Equal(new BudgetSpend(2, 2_200, 520, 0.006m + (1_200 * 2m + 20 * 8m) / 1_000_000m), spend);
    }

    [Fact]
    public async Task Streaming_delivers_text_and_tool_call_deltas_and_the_final_usage_chunk()
    {
        _fake.Script.Enqueue(new ScriptedReply
        {
            Text = "Let me look.", ToolCalls = [new("read_file", """{"path":"src/app.cs","window":[1,40]}""", "call_7")], InputTokens = 300, OutputTokens = 42,
        });

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in Gpt.ChatFor(ModelKit.Scope()).GetStreamingResponseAsync("Look at app.cs", new ChatOptions { Tools = [ReadFile()] }))
            updates.Add(update);

        Assert.True(updates.Count > 3, "the reply arrived in several updates");
        var response = updates.ToChatResponse();
        Assert.Equal("Let me look.", response.Text);
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal(("call_7", "read_file"), (call.CallId, call.Name));
        Assert.Equal("src/app.cs", call.Arguments!["path"]!.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        var request = JsonNode.Parse(Assert.Single(_fake.Completions).Body)!;
        Assert.True(request["stream"]!.GetValue<bool>());
        Assert.True(request["stream_options"]!["include_usage"]!.GetValue<bool>());
        var observed = Assert.Single(_kit.Observer.Calls);
        Assert.Equal((300L, 42L, false), (observed.InputTokens, observed.OutputTokens, observed.UsageEstimated));
    }

    [Fact]
    public async Task A_rate_limit_with_Retry_After_and_a_500_are_retried_and_the_call_succeeds()
    {
        _fake.Fail("POST", FakeOpenAiServer.CompletionsPath, 429, body: FakeOpenAiServer.ErrorBody("Rate limit reached", "requests", "rate_limit_exceeded"),
            headers: new Dictionary<string, string> { ["Retry-After"] = "1" });
        _fake.Fail("POST", FakeOpenAiServer.CompletionsPath, 500, body: FakeOpenAiServer.ErrorBody("The server had an error", "server_error"));
        _fake.Script.Enqueue(ScriptedReply.Say("Third time lucky."));

        var response = await Gpt.ChatFor(ModelKit.Scope()).GetResponseAsync("Hello");

        Assert.Equal("Third time lucky.", response.Text);
        Assert.Equal(3, _fake.Completions.Count());
        Assert.Single(_kit.Observer.Calls); // one call, whatever it took to get through
    }

    [Fact]
    public async Task A_Retry_After_longer_than_the_service_waits_is_not_waited_out_in_the_call()
    {
        _fake.Fail("POST", FakeOpenAiServer.CompletionsPath, 429, times: 10, body: FakeOpenAiServer.ErrorBody("Rate limit reached", "requests", "rate_limit_exceeded"),
            headers: new Dictionary<string, string> { ["Retry-After"] = "3600" });

        var e = await Assert.ThrowsAsync<ModelUnavailableException>(() => Gpt.ChatFor(ModelKit.Scope()).GetResponseAsync("Hello"));

        Assert.Equal(429, e.Status);
        Assert.Single(_fake.Completions); // the job's own retry, later, is the place for an hour's wait
    }

    [Fact]
    public async Task A_500_that_persists_ends_after_the_retries_as_unavailable()
    {
        _fake.Fail("POST", FakeOpenAiServer.CompletionsPath, 500, times: 10, body: FakeOpenAiServer.ErrorBody("The server had an error", "server_error"));

        var e = await Assert.ThrowsAsync<ModelUnavailableException>(() => Gpt.ChatFor(ModelKit.Scope()).GetResponseAsync("Hello"));

        Assert.Equal(500, e.Status);
        Assert.Equal(ModelSpec.DefaultMaxRetries + 1, _fake.Completions.Count());
        Assert.Contains("answered 500", e.Message, StringComparison.Ordinal);
        Assert.Equal(BudgetSpend.Zero with { Turns = 1 }, await _kit.Ledger.JobSpendAsync(1, default));
    }

    [Fact]
    public async Task A_server_that_is_not_running_is_retried_then_reported_unreachable_naming_the_URL_setting()
    {
        var closed = new Uri($"http://127.0.0.1:{Support.Cli.FreePort()}/v1");
        using var kit = Kit(new ModelEntry { BaseUrl = closed.AbsoluteUri, Model = "gone", MaxRetries = 1 });

        var e = await Assert.ThrowsAsync<ModelUnavailableException>(() => kit.Clients.Get("gpt").ChatFor(ModelKit.Scope()).GetResponseAsync("Hello"));

        Assert.Contains("could not be reached", e.Message, StringComparison.Ordinal);
        Assert.Contains("Check models.gpt.baseUrl and that the server is running.", e.Message, StringComparison.Ordinal);
        Assert.Equal(ModelCallOutcome.Failed, Assert.Single(kit.Observer.Calls).Outcome);
    }

    [Fact]
    public async Task A_model_that_never_answers_fails_after_its_time_out_naming_the_setting()
    {
        using var kit = Kit(new ModelEntry { BaseUrl = _fake.V1.AbsoluteUri, Model = "slow", TimeoutSeconds = 1, MaxRetries = 0 });
        _fake.Script.Enqueue(new ScriptedReply { Hang = true });

        var e = await Assert.ThrowsAsync<ModelUnavailableException>(() => kit.Clients.Get("gpt").ChatFor(ModelKit.Scope()).GetResponseAsync("Hello"));

        Assert.Contains("did not answer within 1 s (models.gpt.timeoutSeconds)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unauthorized_is_not_retried_and_names_the_key_setting_without_the_key()
    {
        _fake.Fail("POST", FakeOpenAiServer.CompletionsPath, 401, times: 10, body: FakeOpenAiServer.ErrorBody("Incorrect API key provided.", code: "invalid_api_key"));

        var e = await Assert.ThrowsAsync<ModelRejectedException>(() => Gpt.ChatFor(ModelKit.Scope()).GetResponseAsync("Hello"));

        Assert.Single(_fake.Completions);
        Assert.Equal(401, e.Status);
        Assert.Contains("answered 401", e.Message, StringComparison.Ordinal);
        Assert.Contains("Incorrect API key provided.", e.Message, StringComparison.Ordinal);
        Assert.Contains("Check the API key in OPENAI_TEST_KEY (models.gpt.apiKeyEnv).", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_reply_is_reported_as_truncated_with_text_for_the_model()
    {
        _fake.Script.Enqueue(ScriptedReply.Cut("The first half of"));

        var e = await Assert.ThrowsAsync<ModelReplyException>(() => Gpt.ChatFor(ModelKit.Scope()).GetResponseAsync("Write a lot"));

        Assert.Equal(ModelReplyProblem.Truncated, e.Problem);
        Assert.Equal("The first half of", e.Response.Text);
        Assert.Contains("output limit of 1000 tokens", e.ToolError, StringComparison.Ordinal);
        Assert.Equal(ModelCallOutcome.Truncated, Assert.Single(_kit.Observer.Calls).Outcome);
        var text = await Gpt.CompleteTextAsync("system", "again", ModelKit.Scope(), default);
        Assert.Equal(("Looks fine.", false), (text.Text, text.Truncated));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Malformed_tool_arguments_are_reported_with_the_call_to_answer(bool stream)
    {
        _fake.Script.Enqueue(ScriptedReply.Call("read_file", """{"path": "READ""", "call_9"));
        var chat = Gpt.ChatFor(ModelKit.Scope());
        var options = new ChatOptions { Tools = [ReadFile()] };

        var e = await Assert.ThrowsAsync<ModelReplyException>(async () =>
        {
            if (!stream) await chat.GetResponseAsync("Read it", options);
            else await foreach (var _ in chat.GetStreamingResponseAsync("Read it", options)) { }
        });

        Assert.Equal(ModelReplyProblem.MalformedToolCall, e.Problem);
        Assert.Equal(("call_9", "read_file"), (e.ToolCallId, e.ToolName));
        Assert.Contains("not a valid JSON object", e.ToolError, StringComparison.Ordinal);
        Assert.Equal(ModelCallOutcome.MalformedToolCall, Assert.Single(_kit.Observer.Calls).Outcome);
    }

    [Fact]
    public async Task A_USD_budget_refuses_the_call_before_anything_is_sent()
    {
        // Worst case: ~10 input tokens + 1000 output tokens at $8/M ≈ $0.008, over a $0.005 ceiling.
        var chat = Gpt.ChatFor(ModelKit.Scope(new BudgetLimits { UsdPerJob = 0.005m }));

        var e = await Assert.ThrowsAsync<BudgetExceededException>(() => chat.GetResponseAsync("Hello"));

        Assert.Equal(BudgetKind.UsdPerJob, e.Budget);
        Assert.Contains("USD per job budget would be exceeded", e.Message, StringComparison.Ordinal);
        Assert.Empty(_fake.Requests);
        Assert.Empty(_kit.Observer.Calls);
    }

    [Fact]
    public async Task A_turn_budget_lets_the_allowed_calls_through_and_refuses_the_next_unsent()
    {
        var chat = Gpt.ChatFor(ModelKit.Scope(new BudgetLimits { Turns = 2 }));
        await chat.GetResponseAsync("one");
        await chat.GetResponseAsync("two");

        var e = await Assert.ThrowsAsync<BudgetExceededException>(() => chat.GetResponseAsync("three"));

        Assert.Equal(BudgetKind.Turns, e.Budget);
        Assert.Equal(2, _fake.Completions.Count());
    }

    [Fact]
    public async Task A_call_that_cannot_fit_the_context_window_is_refused_unsent()
    {
        using var kit = Kit(new ModelEntry { BaseUrl = _fake.V1.AbsoluteUri, Model = "small", ContextWindow = 2_000, MaxOutputTokens = 1_000 });

        var e = await Assert.ThrowsAsync<BudgetExceededException>(() => kit.Clients.Get("gpt").ChatFor(ModelKit.Scope()).GetResponseAsync(new string('x', 8_000)));

        Assert.Equal(BudgetKind.ContextWindow, e.Budget);
        Assert.Contains("context window of 2000 tokens", e.Message, StringComparison.Ordinal);
        Assert.Empty(_fake.Requests);
    }

    [Fact]
    public async Task Usage_a_server_does_not_report_is_estimated_and_marked_so()
    {
        _fake.Script.Enqueue(new ScriptedReply { Text = new string('y', 400), OmitUsage = true });

        await Gpt.ChatFor(ModelKit.Scope()).GetResponseAsync("Hello");

        var call = Assert.Single(_kit.Observer.Calls);
        Assert.True(call.UsageEstimated);
        Assert.Equal(100, call.OutputTokens);
        Assert.True(call.InputTokens > 0);
    }
}
