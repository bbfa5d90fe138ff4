using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>The guide's Example 1: signed push or pull_request → code_review agent → review posted on the fake GitHub.</summary>
public sealed class CodeReviewWorkflowTests : IAsyncLifetime
{
    private const string LeakedToken = "ghp_abcdefghijklmnopqrstuvwxyz0123456789AB";
    private AgentWorld _world = null!;

    public async Task InitializeAsync() => _world = await AgentWorld.CreateAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private string PushPayload(string before, string after, bool created = false) =>
        _world.Payload("push", "push", n =>
        {
            n["ref"] = "refs/heads/main";
            n["before"] = before;
            n["after"] = after;
            n["created"] = created;
        });

    private string PushWithProblems() => _world.Push("Add settings", new Dictionary<string, string?>
    {
        ["src/config.js"] = $"const api = 'https://example.com';\nconst token = \"{LeakedToken}\";\nmodule.exports = {{ api, token }};\n",
        ["src/merge.txt"] = "start\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> feature\n",
        ["README.md"] = "# Widgets\n\nHello, world.\n",
    });

    [Fact]
    public async Task Push_without_an_llm_posts_a_deterministic_review_of_the_compare_diff_as_a_commit_comment()
    {
        var after = PushWithProblems();
        await using var service = await _world.StartServiceAsync();

        var job = await AgentWorld.DeliverAsync(service, "push", PushPayload(_world.Initial, after));

        AgentWorld.AssertCompleted(job);
        Assert.Contains(_world.GitHub.Requests, r => r.Method == "GET" && r.Path.EndsWith($"/compare/{_world.Initial}...{after}", StringComparison.Ordinal));
        var comment = Assert.Single(_world.GitHub.CommitComments);
        Assert.Equal(after, comment["commit_id"]!.GetValue<string>());
        var body = comment["body"]!.GetValue<string>();
        Assert.Contains("**3 files changed**", body, StringComparison.Ordinal);
        Assert.Contains("| `src/config.js` | added | 3 | 0 |", body, StringComparison.Ordinal);
        Assert.Contains("**Possible secret** in `src/config.js` line 2: possible GitHub token", body, StringComparison.Ordinal);
        Assert.DoesNotContain(LeakedToken, body, StringComparison.Ordinal);
        Assert.Contains("**Merge-conflict marker** in `src/merge.txt` line 2", body, StringComparison.Ordinal);
        Assert.Contains("no LLM configured", body, StringComparison.Ordinal);
        Assert.Contains(comment["html_url"]!.GetValue<string>(), job.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_creating_a_branch_reviews_its_commit_with_the_llm_and_says_what_did_not_fit_the_budget()
    {
        var big = string.Concat(Enumerable.Range(0, 200).Select(i => $"line {i} of a long generated file\n"));
        var after = _world.Push("Add files", new Dictionary<string, string?> { ["a_small.txt"] = "small change\n", ["z_big.txt"] = big });
        await using var llm = await FakeOpenAiServer.StartAsync("- `a_small.txt` looks fine.\n- Consider not committing generated files.");
        await using var service = await _world.StartServiceAsync(llm: new LlmSettings { BaseUrl = llm.V1, ApiKey = "sk-test", Model = "test-model", MaxInputTokens = 600 });

        var job = await AgentWorld.DeliverAsync(service, "push", PushPayload("0000000000000000000000000000000000000000", after, created: true));

        AgentWorld.AssertCompleted(job);
        Assert.Contains(_world.GitHub.Requests, r => r.Method == "GET" && r.Path.EndsWith($"/commits/{after}", StringComparison.Ordinal));
        var request = Assert.Single(llm.Requests);
        Assert.Equal("Bearer sk-test", request.Authorization);
        var prompt = FakeOpenAiServer.UserMessage(request);
        Assert.Contains("+small change", prompt, StringComparison.Ordinal);
        Assert.Contains("To fit the input budget", prompt, StringComparison.Ordinal);
        Assert.Contains("z_big.txt", prompt, StringComparison.Ordinal);
        Assert.True(prompt.Length <= 600 * LlmSettings.CharsPerToken, $"prompt has {prompt.Length} chars");

        var body = Assert.Single(_world.GitHub.CommitComments)["body"]!.GetValue<string>();
        Assert.Contains("Consider not committing generated files.", body, StringComparison.Ordinal);
        Assert.Contains("#### Automated checks", body, StringComparison.Ordinal);
        Assert.Contains("Review by test-model", body, StringComparison.Ordinal);
        Assert.Contains("To fit the input budget, parts of the diff were not shown", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_request_gets_a_comment_review_on_its_head_commit()
    {
        var head = PushWithProblems();
        _world.GitHub.AddPullRequestRange(2, _world.Initial, head);
        await using var service = await _world.StartServiceAsync();

        var payload = _world.Payload("pull_request", "opened", n =>
        {
            n["number"] = 2;
            n["pull_request"]!["number"] = 2;
            n["pull_request"]!["head"]!["sha"] = head;
            n["pull_request"]!["base"]!["ref"] = "main";
        });
        var job = await AgentWorld.DeliverAsync(service, "pull_request", payload);

        AgentWorld.AssertCompleted(job);
        var review = Assert.Single(_world.GitHub.Reviews);
        Assert.Equal("COMMENT", review["event"]!.GetValue<string>());
        Assert.Equal(head, review["commit_id"]!.GetValue<string>());
        // The checks' line findings are inline comments now (issue 14 item 4), on the lines they are about.
        var comments = _world.GitHub.ReviewComments(2);
        Assert.Contains(comments, c => c["path"]!.GetValue<string>() == "src/config.js" && c["line"]!.GetValue<int>() == 2
            && c["body"]!.GetValue<string>().Contains("(Possible secret): possible GitHub token", StringComparison.Ordinal));
        Assert.Contains(comments, c => c["path"]!.GetValue<string>() == "src/merge.txt" && c["line"]!.GetValue<int>() == 2);
        Assert.DoesNotContain(LeakedToken, review["body"]!.GetValue<string>() + string.Concat(comments.Select(c => c["body"]!.GetValue<string>())), StringComparison.Ordinal);
        Assert.Contains("2 inline comments on the changed lines", review["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_world.GitHub.CommitComments);
    }

    [Fact]
    public async Task Transient_5xx_and_a_rate_limit_are_retried_within_the_attempt_and_the_review_is_posted()
    {
        var after = PushWithProblems();
        _world.GitHub.Fail("GET", "/compare/", 502, body: FakeGitHub.ErrorBody("Server Error"));
        _world.GitHub.Fail("POST", "/comments", 403, body: FakeGitHub.ErrorBody("API rate limit exceeded for user ID 1."), headers: new Dictionary<string, string>
        {
            ["x-ratelimit-limit"] = "5000",
            ["x-ratelimit-remaining"] = "0",
            ["x-ratelimit-reset"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await using var service = await _world.StartServiceAsync();

        var job = await AgentWorld.DeliverAsync(service, "push", PushPayload(_world.Initial, after));

        AgentWorld.AssertCompleted(job);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(2, _world.GitHub.Requests.Count(r => r.Path.Contains("/compare/", StringComparison.Ordinal)));
        Assert.Equal(2, _world.GitHub.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/comments", StringComparison.Ordinal)));
        Assert.Single(_world.GitHub.CommitComments);
    }

    [Fact]
    public async Task Server_errors_past_the_retry_bound_fail_the_attempt_and_the_job_retry_posts_the_review()
    {
        var after = PushWithProblems();
        _world.GitHub.Fail("GET", "/compare/", 503, times: 2, body: FakeGitHub.ErrorBody("Service Unavailable"));
        await using var service = await _world.StartServiceAsync(github: _world.TokenSettings(maxRetries: 1));

        var job = await AgentWorld.DeliverAsync(service, "push", PushPayload(_world.Initial, after));

        AgentWorld.AssertCompleted(job);
        Assert.Equal(2, job.Attempt);
        Assert.Contains("GitHub answered 503", Assert.Single(job.Errors).Error, StringComparison.Ordinal);
        Assert.Single(_world.GitHub.CommitComments);
    }

    [Fact]
    public async Task Bad_credentials_fail_the_job_at_once_with_githubs_message()
    {
        var after = PushWithProblems();
        await using var service = await _world.StartServiceAsync(github: new() { ApiUrl = _world.GitHub.ApiUrl, Token = "ghp_revoked" });

        var job = await AgentWorld.DeliverAsync(service, "push", PushPayload(_world.Initial, after));

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(1, job.Attempt);
        Assert.Contains("GitHub answered 401", job.Error, StringComparison.Ordinal);
        Assert.Contains("Bad credentials", job.Error, StringComparison.Ordinal);
        Assert.Empty(_world.GitHub.CommitComments);
    }

    [Fact]
    public async Task Repository_github_does_not_know_fails_the_job_at_once_with_not_found()
    {
        var after = PushWithProblems();
        await using var service = await _world.StartServiceAsync();

        var payload = _world.Payload("push", "push", n =>
        {
            n["repository"]!["full_name"] = "octo/missing";
            n["ref"] = "refs/heads/main";
            n["before"] = _world.Initial;
            n["after"] = after;
        });
        var job = await AgentWorld.DeliverAsync(service, "push", payload);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(1, job.Attempt);
        Assert.Contains("GitHub answered 404", job.Error, StringComparison.Ordinal);
        Assert.Contains("Not Found", job.Error, StringComparison.Ordinal);
    }
}
