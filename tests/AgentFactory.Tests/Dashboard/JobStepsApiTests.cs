using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Dashboard;

/// <summary>GET /api/jobs/{id}/steps and the usage in GET /api/jobs/{id}, over real HTTP against the real SQLite queue.</summary>
public sealed class JobStepsApiTests : IAsyncLifetime
{
    /// <summary>A GitHub remote with a token in it, as a tool's output might print it.</summary>
    private const string TokenUrl = "https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/octo/widgets.git";

    private TestService _service = null!;
    private long _coding, _quiet;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(AgentFactory.Hosting.Roles.Webhook, seed: SeedAsync);

    public async Task DisposeAsync() => await _service.DisposeAsync();

    /// <summary>A running job with five steps (two model turns, three tool calls, one of them failed) and a completed job with none.</summary>
    private async Task SeedAsync(IJobStore store)
    {
        _coding = await store.EnqueueAsync(new NewJob("github_issue", "{\"issue\":7}"), default);
        var lease = (await store.ClaimAsync("w", 1, TimeSpan.FromMinutes(30), default)).Single().Lease;
        await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Model, "gpt", "Fix issue #7", "{\"tool_calls\":[{\"name\":\"view_file\"}]}",
            Duration: TimeSpan.FromMilliseconds(1_250), InputTokens: 1_000, OutputTokens: 200, CostUsd: 0.0036m), default);
        // The writer should have cleaned these; the reader must not rely on it.
        await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Tool, "run_shell", $"{{\"command\":\"curl -H 'Authorization: Bearer {TestService.Token}' …\"}}",
            $"remote: {TokenUrl}\nsecret={TestService.Secret}", Duration: TimeSpan.FromMilliseconds(40), CallId: "call_1"), default);
        await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Tool, "run_tests", "{}", "1 failed: test_parse", IsError: true, Duration: TimeSpan.FromSeconds(3), CallId: "call_2"), default);
        await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Model, "gpt", null, "I will fix test_parse.", InputTokens: 1_500, OutputTokens: 100, CostUsd: 0.0038m), default);
        await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Tool, "str_replace", "{\"path\":\"src/parse.py\"}", "Replaced 1 occurrence.", CallId: "call_3"), default);

        _quiet = await store.EnqueueAsync(new NewJob("deploy", "{}"), default);
        var quiet = (await store.ClaimAsync("w", 1, TimeSpan.FromMinutes(1), default)).Single();
        await store.CompleteAsync(quiet.Lease, "deployed", default);
    }

    private async Task<JsonObject> GetAsync(string path)
    {
        var response = await _service.Admin.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static int[] Indexes(JsonObject page) => [.. page["items"]!.AsArray().Select(s => s!["index"]!.GetValue<int>())];

    [Fact]
    public async Task Steps_come_oldest_first_with_every_field_and_the_jobs_usage()
    {
        var page = await GetAsync($"/api/jobs/{_coding}/steps");
        Assert.Equal([1, 2, 3, 4, 5], Indexes(page));
        Assert.Equal("running", page["status"]!.GetValue<string>());
        Assert.Null(page["next_after"]);
        var first = page["items"]![0]!;
        Assert.Equal(("model", "gpt", 1, 1_250L), (first["kind"]!.GetValue<string>(), first["name"]!.GetValue<string>(), first["attempt"]!.GetValue<int>(), first["duration_ms"]!.GetValue<long>()));
        Assert.Equal((1_000L, 200L, 0.0036m), (first["input_tokens"]!.GetValue<long>(), first["output_tokens"]!.GetValue<long>(), first["cost_usd"]!.GetValue<decimal>()));
        var failed = page["items"]![2]!;
        Assert.True(failed["is_error"]!.GetValue<bool>());
        Assert.Equal(("run_tests", "call_2", "1 failed: test_parse"), (failed["name"]!.GetValue<string>(), failed["call_id"]!.GetValue<string>(), failed["output"]!.GetValue<string>()));
        Assert.Null(failed["cost_usd"]);

        var usage = page["usage"]!;
        Assert.Equal((5, 2, 2_500L, 300L, 0.0074m), (usage["steps"]!.GetValue<int>(), usage["model_turns"]!.GetValue<int>(),
            usage["input_tokens"]!.GetValue<long>(), usage["output_tokens"]!.GetValue<long>(), usage["cost_usd"]!.GetValue<decimal>()));

        // The job detail carries the same totals; a job without steps has zeros and an empty list.
        Assert.Equal(0.0074m, (await GetAsync($"/api/jobs/{_coding}"))["usage"]!["cost_usd"]!.GetValue<decimal>());
        var quiet = await GetAsync($"/api/jobs/{_quiet}");
        Assert.Equal((0, 0L), (quiet["usage"]!["steps"]!.GetValue<int>(), quiet["usage"]!["input_tokens"]!.GetValue<long>()));
        Assert.Empty(Indexes(await GetAsync($"/api/jobs/{_quiet}/steps")));
    }

    [Fact]
    public async Task After_and_limit_page_through_the_steps_and_a_full_page_says_where_to_go_on()
    {
        var page = await GetAsync($"/api/jobs/{_coding}/steps?after=1&limit=2");
        Assert.Equal([2, 3], Indexes(page));
        Assert.Equal(3, page["next_after"]!.GetValue<int>());
        page = await GetAsync($"/api/jobs/{_coding}/steps?after=3&limit=2");
        Assert.Equal([4, 5], Indexes(page));
        page = await GetAsync($"/api/jobs/{_coding}/steps?after=5&limit=2");
        Assert.Empty(Indexes(page));
        Assert.Null(page["next_after"]);
        Assert.Equal(5, page["usage"]!["steps"]!.GetValue<int>()); // the totals are the whole job's, whatever the page
    }

    [Theory]
    [InlineData("after=-1", "after must be a step index: a whole number from 0 (got '-1')")]
    [InlineData("after=abc", "after must be a step index: a whole number from 0 (got 'abc')")]
    [InlineData("limit=0", "limit must be a whole number from 1 to 500 (got '0')")]
    [InlineData("limit=501", "limit must be a whole number from 1 to 500 (got '501')")]
    [InlineData("limit=lots", "limit must be a whole number from 1 to 500 (got 'lots')")]
    [InlineData("after=99999999999", "after must be a step index")]
    public async Task A_bad_after_or_limit_is_a_400_that_says_what_is_accepted(string query, string message)
    {
        var response = await _service.Admin.GetAsync($"/api/jobs/{_coding}/steps?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("bad_query", body["error"]!.GetValue<string>());
        Assert.Contains(message, body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Steps_of_a_job_that_does_not_exist_are_a_404_and_need_the_admin_token()
    {
        var missing = await _service.Admin.GetAsync("/api/jobs/999/steps");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("There is no job 999.", (await missing.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());
        using var anonymous = new HttpClient { BaseAddress = _service.Admin.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/jobs/{_coding}/steps")).StatusCode);
    }

    /// <summary>
    /// Attack: a tool printed the manual trigger token, the webhook secret and a token-bearing git
    /// remote, and the step was stored as it came (a writer that missed them). Anyone who can read the
    /// dashboard would learn them. The API redacts on the way out: the response holds the settings'
    /// names, never the values.
    /// </summary>
    [Fact]
    public async Task A_configured_secret_in_a_step_never_reaches_the_api_response()
    {
        var raw = await _service.Admin.GetStringAsync($"/api/jobs/{_coding}/steps");
        Assert.DoesNotContain(TestService.Token, raw, StringComparison.Ordinal);
        Assert.DoesNotContain(TestService.Secret, raw, StringComparison.Ordinal);
        Assert.DoesNotContain("ghs_16C7e42F292c6912E7710c838347Ae178B4a", raw, StringComparison.Ordinal);
        var shell = JsonNode.Parse(raw)!["items"]![1]!;
        Assert.Contains("Bearer <MANUAL_TRIGGER_TOKEN>", shell["input"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("remote: https://***@github.com/octo/widgets.git\nsecret=<GITHUB_WEBHOOK_SECRET>", shell["output"]!.GetValue<string>());
    }
}
