using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using AgentFactory.Tests.Models;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Coding;

/// <summary>
/// Budgets fail closed (issue 13 item 4) and model errors end in an answer, never a loop or silence (item 2):
/// each budget running out publishes the work so far as a draft and fails the job with that reason; malformed
/// tool calls go back to the model; 429 and 500 are retried; a hanging command is cut at its timeout.
/// </summary>
public sealed class CoderBudgetTests : IAsyncLifetime
{
    private CoderWorld _world = null!;
    private FakeOpenAiServer _model = null!;

    public async Task InitializeAsync()
    {
        _world = await CoderWorld.CreateAsync();
        _model = await FakeOpenAiServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _model.DisposeAsync();
        await _world.DisposeAsync();
    }

    private Task<TestService> StartAsync(string coder = "") =>
        _world.World.StartServiceAsync(llm: CoderWorld.Llm(_model), routingJson: CoderWorld.Routing(coder), services: s => s.AddSingleton(ModelKit.Retry));

    /// <summary>The fix with every reply costing 10,000 input and 1,000 output tokens ($0.045 at $3/$15 per million).</summary>
    private static ScriptedReply[] ExpensiveFix() => [.. CoderWorld.Fix().Select(r => r with { InputTokens = 10_000, OutputTokens = 1_000 })];

    private void AssertDraftWithTheWorkSoFar(JobRecord job, string budget)
    {
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains($"The {budget} budget ended", job.Error, StringComparison.Ordinal);
        Assert.Equal(1, job.Attempt); // a spent budget is not retried
        var pr = _world.SinglePull();
        Assert.True(pr["draft"]!.GetValue<bool>());
        Assert.Contains("Stopped early", pr["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("def add(a, b):\n    return a + b\n", _world.OnBranch("calc.py"));
        var comment = Assert.Single(_world.GitHub.AgentComments(1))["body"]!.GetValue<string>();
        Assert.Contains($"the {budget} budget ended", comment, StringComparison.Ordinal);
        Assert.Contains(pr["html_url"]!.GetValue<string>(), comment, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_turn_budget_ends_the_run_after_the_edit_with_a_draft_of_the_work_so_far()
    {
        _model.Script.Enqueue(CoderWorld.Fix());
        await using var service = await StartAsync("\"maxTurns\": 2");

        var job = await _world.DeliverAsync(service);

        AssertDraftWithTheWorkSoFar(job, "turns per job");
        Assert.Equal(2, _model.Completions.Count()); // the third call was refused before it was sent
    }

    [Fact]
    public async Task The_USD_budget_per_job_refuses_the_call_that_could_pass_it()
    {
        _model.Script.Enqueue(ExpensiveFix());
        await using var service = await StartAsync("\"maxUsd\": 0.1");

        AssertDraftWithTheWorkSoFar(await _world.DeliverAsync(service), "USD per job");
        Assert.Equal(2, _model.Completions.Count());
    }

    [Fact]
    public async Task The_input_token_budget_ends_the_run()
    {
        _model.Script.Enqueue(ExpensiveFix());
        await using var service = await StartAsync("\"maxInputTokens\": 21000");

        AssertDraftWithTheWorkSoFar(await _world.DeliverAsync(service), "input tokens per job");
    }

    [Fact]
    public async Task The_daily_ceiling_per_repository_is_shared_by_the_next_job_which_starts_nothing_and_says_so()
    {
        _model.Script.Enqueue(ExpensiveFix());
        _world.GitHub.AddIssue(2, "Another", "Something else.", "agent-task");
        await using var service = await StartAsync("\"maxUsdPerRepositoryPerDay\": 0.1");

        AssertDraftWithTheWorkSoFar(await _world.DeliverAsync(service), "USD per repository per day");
        var calls = _model.Completions.Count();
        var second = await AgentWorld.DeliverAsync(service, "issues", _world.World.Payload("issues", "labeled", n =>
        {
            n["label"]!["name"] = "agent-task";
            n["issue"]!["number"] = 2;
        }));

        Assert.Equal(JobStatus.Failed, second.Status);
        Assert.Contains("USD per repository per day", second.Error, StringComparison.Ordinal);
        Assert.Equal(calls, _model.Completions.Count()); // nothing was sent for the second job
        Assert.Single(_world.GitHub.Pulls); // nothing changed, so no pull request for issue 2
        Assert.Contains("Nothing had changed yet", Assert.Single(_world.GitHub.AgentComments(2))["body"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_wall_clock_budget_ends_the_run_after_a_slow_command()
    {
        _model.Script.Enqueue(
            ScriptedReply.Call("str_replace", """{"path":"calc.py","old_str":"return a - b","new_str":"return a + b"}""", "w1"),
            ScriptedReply.Call("run_shell", """{"command":"sleep 3"}""", "w2"),
            ScriptedReply.Call("finish", """{"summary":"never reached"}""", "w3"));
        await using var service = await StartAsync("\"maxMinutes\": 0.03");

        AssertDraftWithTheWorkSoFar(await _world.DeliverAsync(service), "wall clock per job");
    }

    [Fact]
    public async Task A_malformed_tool_call_goes_back_to_the_model_as_a_tool_error_and_the_run_goes_on()
    {
        _model.Script.Enqueue(ScriptedReply.Call("str_replace", "{\"path\": \"calc.py\", \"old_str\": ", "bad1"));
        _model.Script.Enqueue(CoderWorld.Fix());
        await using var service = await StartAsync();

        var job = await _world.DeliverAsync(service);

        AgentWorld.AssertCompleted(job);
        var second = JsonNode.Parse(_model.Completions.ElementAt(1).Body)!["messages"]!.AsArray();
        var error = second.Single(m => m!["role"]!.GetValue<string>() == "tool" && m["tool_call_id"]!.GetValue<string>() == "bad1")!;
        Assert.Contains("not a valid JSON object", error["content"]!.ToString(), StringComparison.Ordinal);
        Assert.Contains(await CoderWorld.StepsAsync(service, job.Id), s => s.Kind == StepKinds.Model && s.IsError);
    }

    [Fact]
    public async Task A_model_that_keeps_sending_malformed_calls_ends_the_job_with_the_reason_not_a_loop()
    {
        _model.Script.Default = ScriptedReply.Call("view_file", "{oops", "bad");
        await using var service = await StartAsync();

        var job = await _world.DeliverAsync(service);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("could not be used", job.Error, StringComparison.Ordinal);
        Assert.Equal(4, _model.Completions.Count());
    }

    [Fact]
    public async Task A_429_and_a_500_from_the_model_are_retried_and_the_run_finishes()
    {
        _model.Fail("POST", FakeOpenAiServer.CompletionsPath, 429, body: FakeOpenAiServer.ErrorBody("Rate limit reached", "requests", "rate_limit_exceeded"),
            headers: new Dictionary<string, string> { ["retry-after-ms"] = "10" });
        _model.Script.Enqueue(CoderWorld.Fix()[0]);
        await using var service = await StartAsync();
        _model.Script.Enqueue(CoderWorld.Fix()[1..]);
        _model.Fail("POST", FakeOpenAiServer.CompletionsPath, 500, times: 1, body: FakeOpenAiServer.ErrorBody("The server had an error", "server_error"));

        var job = await _world.DeliverAsync(service);

        AgentWorld.AssertCompleted(job);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(0, _world.TestBranch().ExitCode);
    }

    [Fact]
    public async Task A_model_down_past_its_retries_fails_the_attempt_and_the_retry_resumes_the_transcript()
    {
        _model.Script.Enqueue(CoderWorld.Fix()[..2]);
        await using var service = await StartAsync();
        // After the edit, the endpoint stays down past the model layer's retries (1 call + 2 retries).
        var edited = _model.WaitForAsync(r => r.Body.Contains("\"c1\"", StringComparison.Ordinal) && r.Path == FakeOpenAiServer.CompletionsPath);
        var job = AgentWorld.DeliverAsync(service, "issues", _world.LabeledPayload());
        await edited;
        _model.Fail("POST", FakeOpenAiServer.CompletionsPath, 503, times: 3, body: FakeOpenAiServer.ErrorBody("Overloaded", "server_error"));
        _model.Script.Enqueue(CoderWorld.Fix()[2..]);

        var done = await job;

        AgentWorld.AssertCompleted(done);
        Assert.Equal(2, done.Attempt);
        var steps = await CoderWorld.StepsAsync(service, done.Id);
        Assert.Equal(["view_file", "str_replace", "run_tests", "finish"], steps.Where(s => s.Kind == StepKinds.Tool).Select(s => s.Name));
        Assert.Contains(steps, s => s.Name == "resumed");
        Assert.Equal(0, _world.TestBranch().ExitCode);
    }

    [Fact]
    public async Task A_command_that_hangs_is_killed_at_its_timeout_and_the_model_is_told()
    {
        _model.Script.Enqueue(ScriptedReply.Call("run_shell", """{"command":"sleep 600","timeout_seconds":1}""", "h1"));
        _model.Script.Enqueue(CoderWorld.Fix());
        await using var service = await StartAsync();

        var job = await _world.DeliverAsync(service);

        AgentWorld.AssertCompleted(job);
        var shell = (await CoderWorld.StepsAsync(service, job.Id)).Single(s => s.Name == "run_shell");
        Assert.Contains("timed out after 1 s: the command was killed", shell.Output, StringComparison.Ordinal);
    }
}
