using System.Text.Json.Nodes;
using AgentFactory.Cli;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.Replay;

/// <summary>
/// Issue 14 item 5: `agentfactory replay` as the real executable, against a real SQLite queue seeded with stored
/// pull_request deliveries, the fake GitHub (reads served, writes must never arrive) and scripted model servers.
/// </summary>
public sealed class ReplayCommandTests : IAsyncLifetime
{
    private ReplayWorld _w = null!;
    private string _head2 = "", _head3 = "";

    public async Task InitializeAsync()
    {
        _w = await ReplayWorld.CreateAsync();
        _head2 = _w.AddPullRequest(2, line: 5);
        _head3 = _w.AddPullRequest(3, line: 20);
        // The live service already reviewed PR 2's head: replay must still review it, or there would be nothing to compare.
        _w.GitHub.AddReview(2, "agentfactory", $"Earlier review.\n<!-- agentfactory:reviewed {_head2} -->\n", _head2);
        await _w.StoreAsync("old-delivery", _w.PullRequestPayload(2, _head2, "opened"), "opened", at: DateTimeOffset.UtcNow.AddDays(-10));
        await _w.StoreAsync("pr2-opened", _w.PullRequestPayload(2, _head2, "opened"), "opened");
        await _w.StoreAsync("pr2-closed", _w.PullRequestPayload(2, _head2, "closed"), "closed", withJob: false);
        await _w.StoreAsync("pr3-opened", _w.PullRequestPayload(3, _head3, "opened"), "opened");
    }

    public async Task DisposeAsync() => await _w.DisposeAsync();

    private static JsonNode Report(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    private static string WritePath(JsonNode? write) => write!["path"]!.GetValue<string>();

    private static List<string> StatusStates(JsonArray writes) =>
        [.. writes.Where(w => WritePath(w).Contains("/statuses/", StringComparison.Ordinal)).Select(w => JsonNode.Parse(w!["body"]!.GetValue<string>())!["state"]!.GetValue<string>())];

    private static decimal Cost(long input, long output, decimal inPrice, decimal outPrice) => (input * inPrice + output * outPrice) / 1_000_000m;

    [Fact]
    public async Task The_report_lists_the_review_each_delivery_would_have_posted_with_tokens_and_cost_and_nothing_reaches_github_or_the_queue()
    {
        _w.Mini.Script.Enqueue(
            ScriptedReply.Say(ReplayWorld.Findings("Mini on PR 2.", 5, "compute2() may throw."), inputTokens: 1200, outputTokens: 300),
            ScriptedReply.Say(ReplayWorld.Findings("Mini on PR 3.", 20, "compute3() may throw."), inputTokens: 800, outputTokens: 100));
        var before = await _w.JobsSnapshotAsync();
        var database = _w.DatabaseSnapshot();
        var path = Path.Combine(_w.WorkDir, "mini.json");

        var (exit, output, err) = await _w.RunAsync("--since", "7d", "--event", "pull_request", "--agent", "code_review", "--model", "mini", "--dry-run", "--report", path);

        Assert.True(exit == ExitCodes.Ok, err);
        Assert.Empty(_w.Writes);
        Assert.Empty(_w.GitHub.Reviews);
        Assert.Equal(before, await _w.JobsSnapshotAsync());
        Assert.Equal(database, _w.DatabaseSnapshot()); // nor anything else: no steps, no budget spend, no events
        Assert.Contains(_w.GitHub.Requests, r => r.Method == "GET" && r.Path.EndsWith("/pulls/2/files", StringComparison.Ordinal)); // reads still go to GitHub

        var report = Report(path);
        Assert.Equal("code-review", report["agent"]!.GetValue<string>());
        Assert.Equal("mini-1", report["model_id"]!.GetValue<string>());
        var jobs = report["jobs"]!.AsArray();
        Assert.Equal(["pr2-opened", "pr3-opened"], jobs.Select(j => j!["delivery_id"]!.GetValue<string>())); // not the 10-day-old one, not the one without a job
        var pr2 = jobs[0]!;
        Assert.Equal("completed", pr2["outcome"]!.GetValue<string>());
        var writes = pr2["writes"]!.AsArray();
        // The review, and the head commit's status around it (pending, then the verdict) that the review reports with.
        Assert.Equal(["pending", "success"], StatusStates(writes));
        var write = Assert.Single(writes, w => !WritePath(w).Contains("/statuses/", StringComparison.Ordinal))!;
        Assert.Equal("POST", write["method"]!.GetValue<string>());
        Assert.Equal("/repos/octo/widgets/pulls/2/reviews", write["path"]!.GetValue<string>());
        var posted = JsonNode.Parse(write["body"]!.GetValue<string>())!;
        Assert.Contains("Mini on PR 2.", posted["body"]!.GetValue<string>(), StringComparison.Ordinal);
        var inline = Assert.Single(posted["comments"]!.AsArray())!;
        Assert.Equal("src/app.cs", inline["path"]!.GetValue<string>());
        Assert.Contains("compute2() may throw.", inline["body"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal(1200, pr2["input_tokens"]!.GetValue<long>());
        Assert.Equal(300, pr2["output_tokens"]!.GetValue<long>());
        Assert.Equal(Cost(1200, 300, ReplayWorld.MiniIn, ReplayWorld.MiniOut), pr2["cost_usd"]!.GetValue<decimal>());
        var totals = report["totals"]!;
        Assert.Equal(2, totals["completed"]!.GetValue<int>());
        Assert.Equal(2000, totals["input_tokens"]!.GetValue<long>());
        Assert.Equal(400, totals["output_tokens"]!.GetValue<long>());
        Assert.Equal(Cost(1200, 300, ReplayWorld.MiniIn, ReplayWorld.MiniOut) + Cost(800, 100, ReplayWorld.MiniIn, ReplayWorld.MiniOut), totals["cost_usd"]!.GetValue<decimal>());
        Assert.True(pr2["seconds"]!.GetValue<double>() >= 0);

        // The readable table on stdout and next to the JSON.
        Assert.Contains("| pr2-opened |", output, StringComparison.Ordinal);
        Assert.Contains("| 1200 | 300 | 0.004800 |", output, StringComparison.Ordinal);
        Assert.Contains("POST /repos/octo/widgets/pulls/3/reviews", output, StringComparison.Ordinal);
        Assert.Contains("Mini on PR 3.", output, StringComparison.Ordinal);
        Assert.Equal(output, File.ReadAllText(Path.ChangeExtension(path, ".md")));
    }

    [Fact]
    public async Task Two_reports_of_two_models_compare_side_by_side_per_delivery()
    {
        _w.Mini.Script.Enqueue(
            ScriptedReply.Say(ReplayWorld.Findings("Mini on PR 2.", 5, "Mini finding two."), inputTokens: 1000, outputTokens: 100),
            ScriptedReply.Say(ReplayWorld.Findings("Mini on PR 3.", 20, "Mini finding three."), inputTokens: 1000, outputTokens: 100));
        _w.Large.Script.Enqueue(
            ScriptedReply.Say(ReplayWorld.Findings("Large on PR 2.", 5, "Large finding two."), inputTokens: 1000, outputTokens: 500),
            ScriptedReply.Say(ReplayWorld.Findings("Large on PR 3.", 20, "Large finding three."), inputTokens: 1000, outputTokens: 500));
        var (a, b) = (Path.Combine(_w.WorkDir, "a.json"), Path.Combine(_w.WorkDir, "b.json"));

        foreach (var (model, report) in new[] { ("mini", a), ("large", b) })
        {
            var run = await _w.RunAsync("--event", "pull_request", "--agent", "code-review", "--model", model, "--dry-run", "--report", report);
            Assert.True(run.Exit == ExitCodes.Ok, run.Err);
        }
        Assert.Single(_w.Mini.Completions, c => c.Body.Contains("Pull request 2", StringComparison.Ordinal));
        Assert.Single(_w.Large.Completions, c => c.Body.Contains("Pull request 2", StringComparison.Ordinal));

        var (exit, output, err) = await _w.RunAsync("compare", a, b);

        Assert.True(exit == ExitCodes.Ok, err);
        Assert.Contains("| | A: code-review, mini (mini-1) | B: code-review, large (large-2) |", output, StringComparison.Ordinal);
        Assert.Contains($"| Cost (USD) | {Cost(2000, 200, ReplayWorld.MiniIn, ReplayWorld.MiniOut):0.000000} | {Cost(2000, 1000, ReplayWorld.LargeIn, ReplayWorld.LargeOut):0.000000} |", output, StringComparison.Ordinal);
        var pr2 = output[output.IndexOf("— delivery pr2-opened", StringComparison.Ordinal)..output.IndexOf("— delivery pr3-opened", StringComparison.Ordinal)];
        Assert.Contains("| Tokens in / out | 1000 / 100 | 1000 / 500 |", pr2, StringComparison.Ordinal);
        var postedRow = pr2.Split('\n').Single(l => l.StartsWith("| Posted |", StringComparison.Ordinal));
        var cells = postedRow.Split(" | ");
        Assert.Contains("Mini on PR 2.", cells[1], StringComparison.Ordinal);
        Assert.Contains("Mini finding two.", cells[1], StringComparison.Ordinal);
        Assert.Contains("Large on PR 2.", cells[2], StringComparison.Ordinal);
        Assert.DoesNotContain("Mini", cells[2], StringComparison.Ordinal);
        Assert.Contains("Large finding three.", output, StringComparison.Ordinal);
        Assert.Empty(_w.Writes);
    }

    /// <summary>
    /// Attack: a pull request's title carries the service's GitHub token (someone who saw it in a log pastes it), so that
    /// the replay report — a file kept on disk and passed around to compare models — spreads it. The report redacts it.
    /// </summary>
    [Fact]
    public async Task The_services_secrets_never_reach_the_report_files()
    {
        var head = _w.AddPullRequest(4, line: 12);
        await _w.StoreAsync("pr4-opened", _w.PullRequestPayload(4, head, "opened", $"Fix {AgentAccessToken}"), "opened");
        var path = Path.Combine(_w.WorkDir, "secret.json");

        var (exit, output, err) = await _w.RunAsync("--event", "pull_request", "--agent", "code-review", "--model", "mini", "--dry-run", "--report", path);

        Assert.True(exit == ExitCodes.Ok, err);
        var json = File.ReadAllText(path);
        Assert.Contains("/pulls/4/reviews", json, StringComparison.Ordinal);
        Assert.Contains("Fix <GITHUB_TOKEN>", json, StringComparison.Ordinal);
        foreach (var text in new[] { json, File.ReadAllText(Path.ChangeExtension(path, ".md")), output, err })
            Assert.DoesNotContain(AgentAccessToken, text, StringComparison.Ordinal);
        Assert.Empty(_w.Writes);
    }

    [Fact]
    public async Task A_model_that_fails_is_reported_as_a_failed_job_that_posts_nothing_and_the_rest_run()
    {
        _w.Mini.Fail("POST", "/chat/completions", 500, times: 1, body: FakeOpenAiServer.ErrorBody("The server had an error", "server_error"));
        _w.Mini.Script.Enqueue(ScriptedReply.Say(ReplayWorld.Findings("Mini on PR 3.", 20, "compute3() may throw."), inputTokens: 800, outputTokens: 100));
        var path = Path.Combine(_w.WorkDir, "failing.json");

        var (exit, output, err) = await _w.RunAsync("--event", "pull_request", "--agent", "code-review", "--model", "mini", "--dry-run", "--report", path);

        Assert.True(exit == ExitCodes.Ok, err);
        var report = Report(path);
        var (pr2, pr3) = (report["jobs"]![0]!, report["jobs"]![1]!);
        Assert.Equal("failed", pr2["outcome"]!.GetValue<string>());
        Assert.Contains("mini", pr2["error"]!.GetValue<string>(), StringComparison.Ordinal);
        // No review: only the head commit's status, set pending and then ended as the error it was.
        Assert.Equal(["pending", "error"], StatusStates(pr2["writes"]!.AsArray()));
        Assert.All(pr2["writes"]!.AsArray(), w => Assert.Contains("/statuses/", WritePath(w), StringComparison.Ordinal));
        Assert.Equal("completed", pr3["outcome"]!.GetValue<string>());
        Assert.Equal(1, report["totals"]!["failed"]!.GetValue<int>());
        Assert.Contains("| 1 completed, 1 failed |", output, StringComparison.Ordinal);
        Assert.Contains("Failed: ", output, StringComparison.Ordinal);
        Assert.Empty(_w.Writes);
    }

    private static string AgentAccessToken => Support.AgentWorld.Token;
}
