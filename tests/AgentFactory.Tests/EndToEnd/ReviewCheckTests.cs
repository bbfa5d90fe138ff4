using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AgentFactory.GitHub;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Routing;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>
/// Issue 14 item 3: a review reports on its head commit — a check run when the credentials are a GitHub App, else a
/// commit status — started as in progress and ended with the review's verdict, a failure's reason, or "none";
/// and (item 4) the review runs on the agent's own catalog model under its own budgets, as the coding agent does.
/// </summary>
public sealed class ReviewCheckTests : IAsyncLifetime
{
    private AgentWorld _world = null!;
    private FakeOpenAiServer _llm = null!;

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync(new Dictionary<string, string?> { ["src/app.cs"] = "int a = 1;\nint b = 2;\n" });
        _llm = await FakeOpenAiServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _llm.DisposeAsync();
        await _world.DisposeAsync();
    }

    private LlmSettings Llm => new() { BaseUrl = _llm.V1, ApiKey = "sk-test", Model = "test-model", MaxInputTokens = 20_000 };

    private string Head() => _world.Push("Change b", new Dictionary<string, string?> { ["src/app.cs"] = "int a = 1;\nint b = compute();\n" });

    private string PullRequest(string head, bool installation = false) => _world.Payload("pull_request", "opened", n =>
    {
        n["number"] = 2;
        n["pull_request"]!["number"] = 2;
        n["pull_request"]!["head"]!["sha"] = head;
        n["pull_request"]!["base"]!["ref"] = "main";
        if (installation) n["installation"] = new JsonObject { ["id"] = 77 };
    });

    private static string Findings(params (int Line, string Severity)[] findings) => new JsonObject
    {
        ["summary"] = "Summary from the model.",
        ["findings"] = new JsonArray([.. findings.Select(f => (JsonNode)new JsonObject { ["file"] = "src/app.cs", ["line"] = f.Line, ["severity"] = f.Severity, ["message"] = "Look here." })]),
    }.ToJsonString();

    private static string S(JsonNode? node) => node?.GetValue<string>() ?? "";

    [Fact]
    public async Task With_a_token_the_head_commit_gets_a_pending_status_then_failure_for_an_error_finding()
    {
        var head = Head();
        _world.GitHub.AddPullRequestRange(2, _world.Initial, head);
        _llm.Script.Enqueue(ScriptedReply.Say(Findings((2, "error"))));
        await using var service = await _world.StartServiceAsync(llm: Llm);

        AgentWorld.AssertCompleted(await AgentWorld.DeliverAsync(service, "pull_request", PullRequest(head)));

        var statuses = _world.GitHub.Statuses;
        Assert.Equal(["pending", "failure"], statuses.Select(s => S(s["state"])));
        Assert.All(statuses, s => Assert.Equal(head, S(s["sha"])));
        Assert.All(statuses, s => Assert.Equal("agentfactory/review", S(s["context"])));
        Assert.Equal("1 finding, 1 error", S(statuses[1]["description"]));
        Assert.StartsWith($"https://github.example/{_world.GitHub.Repository}/pull/2#pullrequestreview-", S(statuses[1]["target_url"]), StringComparison.Ordinal);
        Assert.Empty(_world.GitHub.CheckRuns);
    }

    [Fact]
    public async Task A_clean_review_ends_its_status_as_success()
    {
        var head = Head();
        _world.GitHub.AddPullRequestRange(2, _world.Initial, head);
        _llm.Script.Enqueue(ScriptedReply.Say(Findings()));
        await using var service = await _world.StartServiceAsync(llm: Llm);

        AgentWorld.AssertCompleted(await AgentWorld.DeliverAsync(service, "pull_request", PullRequest(head)));

        Assert.Equal(["pending", "success"], _world.GitHub.Statuses.Select(s => S(s["state"])));
        Assert.Equal("No findings", S(_world.GitHub.Statuses[1]["description"]));
    }

    [Fact]
    public async Task With_a_github_app_the_review_is_a_check_run_in_progress_then_neutral_for_warnings()
    {
        using var key = RSA.Create(2048);
        _world.GitHub.AppId = 4242;
        _world.GitHub.AppPublicKey = key;
        var app = new GitHubSettings { ApiUrl = _world.GitHub.ApiUrl, AppId = 4242, AppPrivateKeyPem = key.ExportRSAPrivateKeyPem(), RetryBaseDelay = TimeSpan.FromMilliseconds(50) };
        var head = Head();
        _world.GitHub.AddPullRequestRange(2, _world.Initial, head);
        _llm.Script.Enqueue(ScriptedReply.Say(Findings((2, "warning"), (1, "info"))));
        await using var service = await _world.StartServiceAsync(github: app, llm: Llm);

        AgentWorld.AssertCompleted(await AgentWorld.DeliverAsync(service, "pull_request", PullRequest(head, installation: true)));

        var run = Assert.Single(_world.GitHub.CheckRuns);
        Assert.Equal("Agent Factory review", S(run["name"]));
        Assert.Equal(head, S(run["head_sha"]));
        Assert.Equal("completed", S(run["status"]));
        Assert.Equal("neutral", S(run["conclusion"]));
        Assert.Equal("2 findings", S(run["output"]!["title"]));
        Assert.Contains("Summary from the model.", S(run["output"]!["summary"]), StringComparison.Ordinal);
        var create = Assert.Single(_world.GitHub.Requests, r => r.Method == "POST" && r.Path.EndsWith("/check-runs", StringComparison.Ordinal));
        Assert.Contains("in_progress", create.Body, StringComparison.Ordinal);
        Assert.Empty(_world.GitHub.Statuses);
    }

    [Fact]
    public async Task A_review_that_fails_ends_its_status_as_error_with_the_reason_and_the_job_fails()
    {
        var head = Head();
        _world.GitHub.AddPullRequestRange(2, _world.Initial, head);
        _llm.Script.Enqueue(ScriptedReply.Say(Findings((2, "warning"))));
        // GitHub refuses the review (422 is permanent): the job fails at once, and the status must not stay pending.
        _world.GitHub.Fail("POST", "/pulls/2/reviews", 422, times: 10, body: """{"message":"Validation Failed"}""");
        await using var service = await _world.StartServiceAsync(llm: Llm);

        var job = await AgentWorld.DeliverAsync(service, "pull_request", PullRequest(head));

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(["pending", "error"], _world.GitHub.Statuses.Select(s => S(s["state"])));
        Assert.Equal("The review failed", S(_world.GitHub.Statuses[1]["description"]));
    }

    [Fact]
    public async Task Report_none_writes_no_status_and_a_bad_value_is_refused_at_start_naming_the_setting()
    {
        var head = Head();
        _world.GitHub.AddPullRequestRange(2, _world.Initial, head);
        _llm.Script.Enqueue(ScriptedReply.Say(Findings((2, "error"))));
        string Routing(string report) => RoutingLoader.DefaultJson().Replace("\"code-review\": { \"kind\": \"code_review\" }",
            $"\"code-review\": {{ \"kind\": \"code_review\", \"report\": \"{report}\" }}", StringComparison.Ordinal);
        Assert.Contains("\"report\": \"none\"", Routing("none"), StringComparison.Ordinal);

        await using (var service = await _world.StartServiceAsync(llm: Llm, routingJson: Routing("none")))
            AgentWorld.AssertCompleted(await AgentWorld.DeliverAsync(service, "pull_request", PullRequest(head)));
        Assert.Single(_world.GitHub.Reviews);
        Assert.Empty(_world.GitHub.Statuses);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => _world.StartServiceAsync(llm: Llm, routingJson: Routing("checks")));
        Assert.Contains("agents.code-review.report is \"checks\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"status\"", error.Message, StringComparison.Ordinal);
    }

    private string ModelRouting(string reviewSettings) => RoutingLoader.DefaultJson()
        .Replace("\"code-review\": { \"kind\": \"code_review\" }", $"\"code-review\": {{ \"kind\": \"code_review\", {reviewSettings} }}", StringComparison.Ordinal)
        .Replace("\"agents\": {", $$"""
            "models": { "reviewer": { "baseUrl": "{{_llm.V1}}", "model": "review-model-7b", "contextWindow": 32768, "maxOutputTokens": 1000,
                                      "inputUsdPerMillion": 1, "outputUsdPerMillion": 1000 } },
            "agents": {
            """, StringComparison.Ordinal);

    [Fact]
    public async Task The_review_runs_on_the_agents_named_model_within_its_budget()
    {
        var head = Head();
        _world.GitHub.AddPullRequestRange(2, _world.Initial, head);
        _llm.Script.Enqueue(ScriptedReply.Say(Findings()));
        await using var service = await _world.StartServiceAsync(routingJson: ModelRouting("\"model\": \"reviewer\", \"maxUsd\": 5"));

        AgentWorld.AssertCompleted(await AgentWorld.DeliverAsync(service, "pull_request", PullRequest(head)));

        var call = Assert.Single(_llm.Completions);
        Assert.Equal("review-model-7b", JsonNode.Parse(call.Body)!["model"]!.GetValue<string>());
        Assert.Contains("review-model-7b", S(Assert.Single(_world.GitHub.Reviews)["body"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_review_whose_budget_cannot_cover_one_call_sends_nothing_and_fails_saying_the_budget_ended()
    {
        var head = Head();
        _world.GitHub.AddPullRequestRange(2, _world.Initial, head);
        // The call's worst case (1,000 output tokens at $1,000 per million = $1) is over maxUsd: refused before it is sent.
        await using var service = await _world.StartServiceAsync(routingJson: ModelRouting("\"model\": \"reviewer\", \"maxUsd\": 0.5"));

        var job = await AgentWorld.DeliverAsync(service, "pull_request", PullRequest(head));

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("budget", job.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_llm.Completions);
        Assert.Empty(_world.GitHub.Reviews);
        Assert.Equal(["pending", "error"], _world.GitHub.Statuses.Select(s => S(s["state"])));
    }

    [Fact]
    public async Task A_review_naming_a_model_that_is_not_configured_stops_the_start_naming_the_setting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => _world.StartServiceAsync(routingJson: ModelRouting("\"model\": \"gpt-9\"")));
        Assert.Contains("gpt-9", error.Message, StringComparison.Ordinal);
        Assert.Contains("reviewer", error.Message, StringComparison.Ordinal);
    }
}
