using System.Text.Json.Nodes;
using AgentFactory.Agents;
using AgentFactory.Jobs;
using AgentFactory.Orchestration.Tracking;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Orchestration;

/// <summary>
/// The tracking comment's life (issue 14 item 3): one comment per job on its issue, written when the agent starts and
/// edited to each final state, through the real webhook endpoint, orchestrator and Octokit against the fake GitHub.
/// </summary>
public sealed class TrackingCommentTests : IAsyncLifetime
{
    private const string Routing = """
        {
          "routes": [
            { "event": "issue_comment", "commands": ["/fix"], "jobType": "tracked" },
            { "event": "issue_comment", "commands": ["/review"], "jobType": "tracked_latest" },
            { "event": "issue_comment", "commands": ["/cancel"], "jobType": "cancel_task" }
          ],
          "jobs": {
            "tracked": { "agent": "probe", "maxAttempts": 2, "trackingComment": true },
            "tracked_latest": { "agent": "probe", "trackingComment": true,
              "concurrency": { "key": "{{repository.full_name}}#{{issue.number}}", "mode": "supersede" } },
            "cancel_task": { "agent": "cancel" }
          },
          "agents": { "probe": { "kind": "probe" } }
        }
        """;

    private AgentWorld _world = null!;
    private ProbeAgentKind _probe = null!;
    private TestService? _service;
    private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync();
        _world.GitHub.AddIssue(1, "Spelling", "Fix the spelling");
        _probe = new ProbeAgentKind(async (job, ct) => job.PayloadString("agentfactory.argument") switch
        {
            "fail" => throw new PermanentAgentException("the tests do not build"),
            "budget" => throw new PermanentAgentException("budget ended: the job used 50000 of its 50000 tokens (jobs.tracked budget)"),
            "retry" when job.Attempt == 1 => AgentResult.Failure("the model timed out"),
            "block" => await Block(ct),
            "steps" => await StepsThenWait(job, ct),
            _ => AgentResult.Success("done"),
        });
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    /// <summary>Runs until cancelled, as an agent that honours its token does.</summary>
    private static async Task<AgentResult> Block(CancellationToken ct)
    {
        await Task.Delay(Timeout.Infinite, ct);
        return AgentResult.Success();
    }

    /// <summary>
    /// Records a model turn and two tool calls (one failed) whose arguments try to mention someone and break out of
    /// the code span, then waits until the test has seen them in the comment.
    /// </summary>
    private async Task<AgentResult> StepsThenWait(AgentJob job, CancellationToken ct)
    {
        var store = _service!.Store;
        await store.AppendStepAsync(job.Record.Lease, new NewJobStep(StepKinds.Model, "test-model", InputTokens: 1200, OutputTokens: 34), ct);
        await store.AppendStepAsync(job.Record.Lease, new NewJobStep(StepKinds.Tool, "view_file", Input: """{"path":"src/a`b.py\n@mallory [x](https://evil.example)"}"""), ct);
        await store.AppendStepAsync(job.Record.Lease, new NewJobStep(StepKinds.Tool, "run_tests", Input: "{}", IsError: true), ct);
        await _seen.Task.WaitAsync(ct);
        return AgentResult.Success("done");
    }

    private async Task<TestService> StartAsync(Action<Options.AgentFactoryOptions>? configure = null) => _service = await _world.StartServiceAsync(routingJson: Routing, configure: configure, services: x =>
    {
        x.AddSingleton<IAgentKind>(_probe);
        x.AddSingleton(new TrackingProgressSettings(TimeSpan.FromMilliseconds(100)));
    });

    private async Task<long> CommentAsync(TestService service, string body, string jobType)
    {
        var payload = _world.Payload("issues", "labeled", n =>
        {
            n.AsObject().Remove("label");
            n["action"] = "created";
            n["comment"] = new JsonObject { ["id"] = 1, ["body"] = body, ["user"] = new JsonObject { ["login"] = "maintainer", ["type"] = "User" } };
            n["sender"] = new JsonObject { ["login"] = "maintainer", ["id"] = 99, ["type"] = "User" };
        });
        payload = "{\"test_delivery\":\"" + Guid.NewGuid() + "\"," + payload.TrimStart()[1..];
        var response = await service.Http.SendAsync(Fixtures.Delivery("issue_comment", payload, TestService.Secret));
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return answer["jobs"]!.AsArray().Single(j => j!["job_type"]!.GetValue<string>() == jobType)!["id"]!.GetValue<long>();
    }

    /// <summary>Waits until the job's one tracking comment says <paramref name="text"/>; returns its body.</summary>
    private async Task<string> TrackingSaysAsync(long jobId, string text)
    {
        string? Body() => _world.GitHub.TrackingComments(1, jobId).SingleOrDefault()?["body"]?.GetValue<string>();
        try
        {
            await Wait.UntilAsync(() => Body()?.Contains(text, StringComparison.Ordinal) == true, $"job {jobId}'s tracking comment to say '{text}'");
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}; the issue's comments: {string.Join(" | ", _world.GitHub.IssueComments(1).Select(c => c["body"]?.GetValue<string>()))}; requests: {string.Join("; ", _world.GitHub.Requests.Select(r => r.Method + " " + r.Path))}");
        }
        Assert.Single(_world.GitHub.TrackingComments(1, jobId));
        return Body()!;
    }

    private bool StartWasWritten(long jobId, int attempt) => _world.GitHub.Requests.Any(r => r.Body.Contains($"agentfactory:job {jobId} -->", StringComparison.Ordinal)
        && r.Body.Contains($"is running: attempt {attempt} of", StringComparison.Ordinal));

    [Fact]
    public async Task Completed_job_has_one_comment_written_at_its_start_and_edited_to_completed()
    {
        await using var service = await StartAsync();
        var id = await CommentAsync(service, "/fix ok", "tracked");

        var body = await TrackingSaysAsync(id, "completed");

        Assert.StartsWith($"<!-- agentfactory:job {id} -->\n✅ **Agent Factory job {id}** (`tracked`) completed.", body, StringComparison.Ordinal);
        Assert.True(StartWasWritten(id, 1));
        Assert.Contains(_world.GitHub.CommentEdits, e => e.Body == body);
        AgentWorld.AssertCompleted((await service.Store.GetJobAsync(id, CancellationToken.None))!);
    }

    [Fact]
    public async Task Failed_job_ends_failed_with_the_reason_and_a_retry_edits_the_same_comment()
    {
        await using var service = await StartAsync();
        var failed = await CommentAsync(service, "/fix fail", "tracked");
        var body = await TrackingSaysAsync(failed, "failed");
        Assert.Contains("```text\nthe tests do not build\n```", body, StringComparison.Ordinal);

        var retried = await CommentAsync(service, "/fix retry", "tracked");
        Assert.Contains("completed after 2 attempts", await TrackingSaysAsync(retried, "completed"), StringComparison.Ordinal);
        Assert.True(StartWasWritten(retried, 2));
        Assert.Contains(_world.GitHub.CommentEdits, e => e.Body.Contains("attempt 1 of 2 failed; it is retried", StringComparison.Ordinal) && e.Body.Contains("the model timed out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_job_whose_budget_ended_says_so()
    {
        await using var service = await StartAsync();
        var id = await CommentAsync(service, "/fix budget", "tracked");

        Assert.Contains("stopped: its budget ended", await TrackingSaysAsync(id, "budget ended"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelled_and_superseded_jobs_end_so()
    {
        await using var service = await StartAsync();
        var cancelled = await CommentAsync(service, "/fix block", "tracked");
        await Wait.UntilAsync(() => StartWasWritten(cancelled, 1), "the start of the job to cancel");
        await CommentAsync(service, "/cancel", "cancel_task");
        Assert.Contains("was cancelled", await TrackingSaysAsync(cancelled, "cancelled"), StringComparison.Ordinal);

        var old = await CommentAsync(service, "/review block", "tracked_latest");
        await Wait.UntilAsync(() => StartWasWritten(old, 1), "the start of the job to supersede");
        var newer = await CommentAsync(service, "/review ok", "tracked_latest");
        Assert.Contains($"was superseded by job {newer}: a newer request replaced it", await TrackingSaysAsync(old, "superseded"), StringComparison.Ordinal);
        await TrackingSaysAsync(newer, "completed");
    }

    [Fact]
    public async Task GitHub_failing_the_tracking_comment_never_fails_the_job()
    {
        _world.GitHub.Fail("POST", "/issues/1/comments", 500, times: 100, body: Support.Fakes.FakeGitHub.ErrorBody("Server Error"));
        await using var service = await StartAsync();
        var id = await CommentAsync(service, "/fix ok", "tracked");

        AgentWorld.AssertCompleted(await service.WaitForJobAsync(id, JobStatus.Completed, JobStatus.Failed));
        Assert.Empty(_world.GitHub.TrackingComments(1, id));
        Assert.Single(_probe.Started);
    }

    [Fact]
    public async Task A_running_job_shows_its_steps_as_a_checklist_that_cannot_mention_or_link_and_keeps_them_at_the_end()
    {
        await using var service = await StartAsync();
        var id = await CommentAsync(service, "/fix steps", "tracked");

        var running = await TrackingSaysAsync(id, "`run_tests` — failed");
        _seen.SetResult();
        Assert.Contains("is running: attempt 1 of 2.\n\n**Steps** (2 steps, 1 model turn, 1,234 tokens)\n", running, StringComparison.Ordinal);
        // Attack: the model's arguments hold a mention, a link and a backtick to close the code span; they stay inside it.
        Assert.Contains("- [x] `view_file` `src/a'b.py @mallory [x](https://evil.example)`\n", running, StringComparison.Ordinal);
        Assert.EndsWith("- [ ] …", running, StringComparison.Ordinal);
        var done = await TrackingSaysAsync(id, "completed");
        Assert.Contains("- [x] `run_tests` — failed", done, StringComparison.Ordinal);
        Assert.DoesNotContain("- [ ] …", done, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_cancelled_while_it_waits_for_its_retry_ends_cancelled_not_retrying()
    {
        await using var service = await StartAsync(o => o.RetryBaseDelay = TimeSpan.FromHours(1));
        var id = await CommentAsync(service, "/fix retry", "tracked");
        await TrackingSaysAsync(id, "it is retried");

        Assert.True(await service.Store.CancelJobAsync(id, CancellationToken.None));

        Assert.Contains("was cancelled", await TrackingSaysAsync(id, "was cancelled"), StringComparison.Ordinal);
        Assert.Single(_probe.Started);
    }
}
