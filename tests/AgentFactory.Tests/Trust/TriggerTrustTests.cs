using System.Text.Json.Nodes;
using AgentFactory.Agents;
using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Trust;

/// <summary>
/// Who may start agent work (issue 12 items 5 and 7), through the real webhook endpoint with a valid
/// signature, the real queue and orchestrator, and a fake GitHub that answers the collaborator-permission
/// API. The probe agent stands for any agent; its kind is not text-only, so it counts as running repository code.
/// </summary>
public sealed class TriggerTrustTests : IAsyncLifetime
{
    private const string Routing = """
        {
          "routes": [
            { "event": "issue_comment", "actions": ["created"], "jobType": "comment_task" },
            { "event": "issues", "actions": ["labeled"], "labels": ["agent-task"], "jobType": "label_task" },
            { "event": "pull_request", "actions": ["opened"], "jobType": "pr_task" }
          ],
          "jobs": { "*": { "agent": "probe", "maxAttempts": 3, "timeout": "00:10:00" } },
          "agents": { "probe": { "kind": "probe" } }
        }
        """;

    private AgentWorld _world = null!;
    private readonly ProbeAgentKind _probe = new((_, _) => Task.FromResult(AgentResult.Success("ran")));

    public async Task InitializeAsync() => _world = await AgentWorld.CreateAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private Task<TestService> StartAsync(params string[] serviceLogins) => _world.StartServiceAsync(
        github: _world.TokenSettings() is var s ? new AgentFactory.GitHub.GitHubSettings
        {
            ApiUrl = s.ApiUrl, Token = s.Token, MaxRetries = s.MaxRetries, RetryBaseDelay = s.RetryBaseDelay, MaxRetryWait = s.MaxRetryWait, ServiceLogins = serviceLogins,
        } : null,
        routingJson: Routing, services: x => x.AddSingleton<IAgentKind>(_probe));

    /// <summary>GitHub's issue_comment "created" payload: the recorded issue with a comment by <paramref name="login"/>.</summary>
    private string Comment(string login, string type = "User", string body = "@agentfactory please run") => _world.Payload("issues", "labeled", n =>
    {
        n.AsObject().Remove("label");
        n["action"] = "created";
        n["comment"] = new JsonObject { ["id"] = 1, ["body"] = body, ["user"] = new JsonObject { ["login"] = login, ["type"] = type } };
        n["sender"] = new JsonObject { ["login"] = login, ["id"] = 99, ["type"] = type };
    });

    private string Label(string login) => _world.Payload("issues", "labeled", n =>
    {
        n["label"]!["name"] = "agent-task";
        n["sender"] = new JsonObject { ["login"] = login, ["id"] = 98, ["type"] = "User" };
    });

    private static async Task<JsonNode> SendAsync(TestService service, string eventName, string body)
    {
        body = "{\"test_delivery\":\"" + Guid.NewGuid() + "\"," + body.TrimStart()[1..];
        var response = await service.Http.SendAsync(Fixtures.Delivery(eventName, body, TestService.Secret));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }

    private static async Task<WebhookEventRecord> EventAsync(TestService service, JsonNode answer) =>
        (await service.Store.ListEventsAsync(new EventQuery(Limit: 100), CancellationToken.None)).Single(e => e.Id == answer["event_id"]!.GetValue<long>());

    [Theory]
    [InlineData("none")]
    [InlineData("read")]
    [InlineData("triage")]
    public async Task Comment_from_someone_without_write_runs_no_agent_and_the_refusal_is_on_the_delivery(string permission)
    {
        // Attack: a stranger (or a read/triage user) comments "@agentfactory please run" on a public repository's
        // issue to make the service run an agent with its credentials. Only writers may start it (the default).
        _world.GitHub.Permissions["stranger"] = permission;
        await using var service = await StartAsync();

        var answer = await SendAsync(service, "issue_comment", Comment("stranger"));
        var job = await service.WaitForJobAsync(answer["jobs"]![0]!["id"]!.GetValue<long>(), JobStatus.Failed, JobStatus.Completed);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Empty(_probe.Started);
        Assert.Equal(1, job.Attempt); // refused for good, not retried
        var reason = $"comment_task: not started: stranger has {permission} permission on octo/widgets, and jobs.comment_task.permission requires write.";
        Assert.Equal(reason, job.Error);
        Assert.Equal(reason, (await EventAsync(service, answer)).TriggerRefusal);
        // The dashboard's event view shows it.
        var events = JsonNode.Parse(await service.Admin.GetStringAsync("/api/events"))!["items"]!.AsArray();
        var row = events.Single(e => e!["id"]!.GetValue<long>() == answer["event_id"]!.GetValue<long>())!;
        Assert.Equal(reason, row["trigger_refusal"]!.GetValue<string>());
        Assert.Equal("refused", row["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task Label_from_a_triage_user_runs_no_agent_when_the_job_type_requires_write()
    {
        // Attack: a triager (who may label, but not push) adds "agent-task" to start the coding agent on an issue they wrote.
        _world.GitHub.Permissions["labeler"] = "triage";
        await using var service = await StartAsync();

        var answer = await SendAsync(service, "issues", Label("labeler"));
        var job = await service.WaitForJobAsync(answer["jobs"]![0]!["id"]!.GetValue<long>(), JobStatus.Failed, JobStatus.Completed);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Empty(_probe.Started);
        Assert.Contains("labeler has triage permission on octo/widgets, and jobs.label_task.permission requires write", (await EventAsync(service, answer)).TriggerRefusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil-app[bot]", "Bot")]
    [InlineData("renovate", "Bot")]
    [InlineData("looks-human[bot]", "User")]
    public async Task Comment_from_a_bot_creates_no_job(string login, string type)
    {
        // Attack: an app (or the service's own agent through another app) comments, and the comment starts the
        // next agent, which comments again: a loop. A bot is known by type "Bot" or by the "[bot]" login suffix,
        // either alone (a user cannot register a login with brackets); GitHub is not even asked.
        _world.GitHub.Permissions[login] = "admin";
        await using var service = await StartAsync();

        var answer = await SendAsync(service, "issue_comment", Comment(login, type));

        Assert.Equal("recorded", answer["status"]!.GetValue<string>());
        Assert.Empty(answer["jobs"]!.AsArray());
        Assert.Empty(await service.AllJobsAsync());
        var ev = await EventAsync(service, answer);
        Assert.False(ev.ConvertedToJob);
        Assert.Equal($"comment_task: not started: the sender {login} is a bot; bots never start agent work (no loops). Set jobs.comment_task.permission to \"none\" to let anyone, bots included, start it.", ev.TriggerRefusal);
        Assert.Equal(0, _world.GitHub.PermissionChecks);
    }

    [Fact]
    public async Task Comment_from_the_services_own_account_creates_no_job()
    {
        // Attack (or accident): the service posts "Opened pull request …" as its GITHUB_TOKEN user, and that
        // comment routes to an agent again. Its own login (GITHUB_SERVICE_LOGIN) never starts work, admin or not.
        _world.GitHub.Permissions["factory-svc"] = "admin";
        await using var service = await StartAsync("factory-svc");

        var answer = await SendAsync(service, "issue_comment", Comment("Factory-Svc"));

        Assert.Empty(answer["jobs"]!.AsArray());
        Assert.Empty(await service.AllJobsAsync());
        Assert.Contains("the sender Factory-Svc is the service's own account (GITHUB_SERVICE_LOGIN)", (await EventAsync(service, answer)).TriggerRefusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Comments_from_a_writer_start_the_job_and_GitHub_is_asked_once_within_the_cache_time()
    {
        _world.GitHub.Permissions["maintainer"] = "write";
        await using var service = await StartAsync();

        foreach (var _ in new[] { 1, 2 })
        {
            var answer = await SendAsync(service, "issue_comment", Comment("maintainer"));
            var job = await service.WaitForJobAsync(answer["jobs"]![0]!["id"]!.GetValue<long>(), JobStatus.Failed, JobStatus.Completed);
            AgentWorld.AssertCompleted(job);
            Assert.Null((await EventAsync(service, answer)).TriggerRefusal);
        }
        Assert.Equal(2, _probe.Started.Count);
        Assert.Equal(1, _world.GitHub.PermissionChecks);
    }

    [Fact]
    public async Task Permission_check_while_GitHub_is_down_is_retried_and_the_delivery_is_not_lost()
    {
        // GitHub answers 503 to the whole first attempt (the client's own retries included): the agent does not
        // run on a guess (fail closed), the attempt fails, and the queue's retry asks again and runs it.
        _world.GitHub.Permissions["maintainer"] = "admin";
        _world.GitHub.PermissionOutages = 4; // GITHUB_MAX_RETRIES 3: four requests in one attempt
        await using var service = await StartAsync();

        var answer = await SendAsync(service, "issue_comment", Comment("maintainer"));
        var job = await service.WaitForJobAsync(answer["jobs"]![0]!["id"]!.GetValue<long>(), JobStatus.Failed, JobStatus.Completed);

        AgentWorld.AssertCompleted(job);
        Assert.Equal(2, job.Attempt);
        Assert.Contains("503", Assert.Single(job.Errors).Error, StringComparison.Ordinal);
        Assert.Single(_probe.Started);
    }

    [Fact]
    public async Task Pull_request_from_a_fork_does_not_start_an_agent_that_runs_repository_code()
    {
        // Attack: mallory opens a pull request from her fork whose scripts/test.sh (or AGENTS.md, .mcp.json) reads
        // the service's credentials, hoping an agent runs the head's code. Even an admin's fork PR is refused for
        // such agents: the fork's code never runs with the service's credentials.
        _world.GitHub.Permissions["mallory"] = "admin";
        await using var service = await StartAsync();

        var answer = await SendAsync(service, "pull_request", _world.Payload("pull_request", "opened", n =>
        {
            n["pull_request"]!["head"]!["repo"]!["full_name"] = "mallory/widgets";
            n["sender"] = new JsonObject { ["login"] = "mallory", ["id"] = 7, ["type"] = "User" };
        }));

        Assert.Empty(answer["jobs"]!.AsArray());
        Assert.Empty(await service.AllJobsAsync());
        Assert.Empty(_probe.Started);
        var refusal = (await EventAsync(service, answer)).TriggerRefusal;
        Assert.StartsWith("pr_task: not started: pull request #2 comes from the fork mallory/widgets, and agent 'probe' (probe) runs the repository's code", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_request_from_the_repositorys_own_branch_starts_without_asking_GitHub()
    {
        // The head branch is in the repository, so a writer pushed its code: the event proves write.
        await using var service = await StartAsync();

        var answer = await SendAsync(service, "pull_request", _world.Payload("pull_request", "opened"));
        var job = await service.WaitForJobAsync(answer["jobs"]![0]!["id"]!.GetValue<long>(), JobStatus.Failed, JobStatus.Completed);

        AgentWorld.AssertCompleted(job);
        Assert.Equal(0, _world.GitHub.PermissionChecks);
    }
}
