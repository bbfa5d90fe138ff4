using System.Text.Json.Nodes;
using AgentFactory.Agents;
using AgentFactory.Jobs;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Trust;

/// <summary>
/// Comment triggers (issue 14 item 1) through the real signed webhook endpoint, the real queue and orchestrator, and the
/// fake GitHub's collaborator permissions: slash commands and their argument in the payload, the mention, assignment,
/// /cancel, and who may not start anything.
/// </summary>
public sealed class CommentTriggerTests : IAsyncLifetime
{
    private const string Routing = """
        {
          "routes": [
            { "event": "issue_comment", "commands": ["/review", "/ask", "/fix"], "mention": "@agentfactory", "jobType": "command_task" },
            { "event": "issue_comment", "mention": "@agentfactory", "jobType": "mention_task" },
            { "event": "issue_comment", "commands": ["/cancel"], "jobType": "cancel_task" },
            { "event": "issues", "actions": ["assigned"], "assignees": ["agentfactory"], "jobType": "assigned_task" }
          ],
          "jobs": {
            "cancel_task": { "agent": "cancel" },
            "*": { "agent": "probe", "maxAttempts": 3, "timeout": "00:10:00" }
          },
          "agents": { "probe": { "kind": "probe" } }
        }
        """;

    private AgentWorld _world = null!;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ProbeAgentKind _probe = null!;

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync();
        _probe = new ProbeAgentKind(async (job, ct) =>
        {
            if (job.PayloadString("agentfactory.argument") == "block") await _release.Task.WaitAsync(ct);
            return AgentResult.Success("ran");
        });
    }

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _world.DisposeAsync();
    }

    private Task<TestService> StartAsync(params string[] serviceLogins) => _world.StartServiceAsync(
        github: _world.TokenSettings() is var s ? new AgentFactory.GitHub.GitHubSettings
        {
            ApiUrl = s.ApiUrl, Token = s.Token, MaxRetries = s.MaxRetries, RetryBaseDelay = s.RetryBaseDelay, MaxRetryWait = s.MaxRetryWait, ServiceLogins = serviceLogins,
        } : null,
        routingJson: Routing, services: x => x.AddSingleton<IAgentKind>(_probe));

    /// <summary>GitHub's issue_comment "created" payload on issue 1: a comment by <paramref name="login"/>.</summary>
    private string Comment(string body, string login = "maintainer", string type = "User") => _world.Payload("issues", "labeled", n =>
    {
        n.AsObject().Remove("label");
        n["action"] = "created";
        n["comment"] = new JsonObject { ["id"] = 1, ["body"] = body, ["user"] = new JsonObject { ["login"] = login, ["type"] = type } };
        n["sender"] = new JsonObject { ["login"] = login, ["id"] = 99, ["type"] = type };
    });

    private static async Task<JsonNode> SendAsync(TestService service, string eventName, string body)
    {
        body = "{\"test_delivery\":\"" + Guid.NewGuid() + "\"," + body.TrimStart()[1..];
        var response = await service.Http.SendAsync(Fixtures.Delivery(eventName, body, TestService.Secret));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }

    private static IEnumerable<string> JobTypes(JsonNode answer) => answer["jobs"]!.AsArray().Select(j => j!["job_type"]!.GetValue<string>());

    private static long JobId(JsonNode answer, string jobType) =>
        answer["jobs"]!.AsArray().Single(j => j!["job_type"]!.GetValue<string>() == jobType)!["id"]!.GetValue<long>();

    [Theory]
    [InlineData("/review", "review", "")]
    [InlineData("/ask why does the parser allocate?", "ask", "why does the parser allocate?")]
    [InlineData("/fix handle an empty list\n\nwithout throwing", "fix", "handle an empty list\n\nwithout throwing")]
    public async Task Each_slash_command_starts_a_job_with_the_command_and_its_argument_in_the_payload(string body, string command, string argument)
    {
        await using var service = await StartAsync();

        var answer = await SendAsync(service, "issue_comment", Comment(body));
        var job = await service.WaitForJobAsync(JobId(answer, "command_task"), JobStatus.Completed, JobStatus.Failed);

        AgentWorld.AssertCompleted(job);
        Assert.Equal(["command_task"], JobTypes(answer));
        var ran = Assert.Single(_probe.Started);
        Assert.Equal("command", ran.PayloadString("agentfactory.trigger"));
        Assert.Equal(command, ran.PayloadString("agentfactory.command"));
        Assert.Equal(argument, ran.PayloadString("agentfactory.argument"));
        Assert.Equal("1", ran.PayloadString("issue.number")); // the GitHub payload is all still there
    }

    [Fact]
    public async Task A_comment_that_merely_contains_fix_mid_text_starts_nothing()
    {
        await using var service = await StartAsync();

        var answer = await SendAsync(service, "issue_comment", Comment("I think we should /fix this later"));

        Assert.Equal("recorded", answer["status"]!.GetValue<string>());
        Assert.Empty(await service.AllJobsAsync());
    }

    [Fact]
    public async Task A_mention_starts_the_mention_rule_with_the_comment_as_its_argument()
    {
        await using var service = await StartAsync();

        var answer = await SendAsync(service, "issue_comment", Comment("Hey @AgentFactory, can you look at the flaky test?"));
        AgentWorld.AssertCompleted(await service.WaitForJobAsync(JobId(answer, "mention_task"), JobStatus.Completed, JobStatus.Failed));

        Assert.Equal(["mention_task"], JobTypes(answer));
        var ran = Assert.Single(_probe.Started);
        Assert.Equal("mention", ran.PayloadString("agentfactory.trigger"));
        Assert.Null(ran.PayloadString("agentfactory.command"));
        Assert.Equal("Hey , can you look at the flaky test?", ran.PayloadString("agentfactory.argument"));
    }

    [Fact]
    public async Task Assigning_the_issue_to_the_configured_account_starts_a_job_and_another_assignee_does_not()
    {
        await using var service = await StartAsync();
        string Assigned(string login) => _world.Payload("issues", "labeled", n =>
        {
            n.AsObject().Remove("label");
            n["action"] = "assigned";
            n["assignee"] = new JsonObject { ["login"] = login, ["id"] = 5, ["type"] = "User" };
            n["sender"] = new JsonObject { ["login"] = "maintainer", ["id"] = 99, ["type"] = "User" };
        });

        Assert.Empty((await SendAsync(service, "issues", Assigned("octocat")))["jobs"]!.AsArray());
        var answer = await SendAsync(service, "issues", Assigned("agentfactory"));
        AgentWorld.AssertCompleted(await service.WaitForJobAsync(JobId(answer, "assigned_task"), JobStatus.Completed, JobStatus.Failed));
    }

    [Fact]
    public async Task Cancel_cancels_the_issues_running_job_instead_of_starting_one()
    {
        await using var service = await StartAsync();
        var running = JobId(await SendAsync(service, "issue_comment", Comment("/fix block")), "command_task");
        await _probe.WaitForStartsAsync(1);

        var answer = await SendAsync(service, "issue_comment", Comment("/cancel"));
        var cancel = await service.WaitForJobAsync(JobId(answer, "cancel_task"), JobStatus.Completed, JobStatus.Failed);

        AgentWorld.AssertCompleted(cancel);
        Assert.Equal($"Cancelled 1 job for octo/widgets#1: {running}.", cancel.Output);
        Assert.Equal(JobStatus.Cancelled, (await service.Store.GetJobAsync(running, CancellationToken.None))!.Status);
        Assert.Single(_probe.Started); // the probe ran once, for /fix: /cancel ran no agent of its own kind
        var stopped = _probe.Started.Single();
        Assert.Equal(running, stopped.Id);
    }

    [Fact]
    public async Task Cancel_from_someone_without_write_cancels_nothing()
    {
        // Attack: a stranger comments "/cancel" on a public repository's issue to stop the maintainers' running job.
        _world.GitHub.Permissions["stranger"] = "read";
        await using var service = await StartAsync();
        var running = JobId(await SendAsync(service, "issue_comment", Comment("/fix block")), "command_task");
        await _probe.WaitForStartsAsync(1);

        var cancel = await service.WaitForJobAsync(JobId(await SendAsync(service, "issue_comment", Comment("/cancel", "stranger")), "cancel_task"), JobStatus.Completed, JobStatus.Failed);

        Assert.Equal(JobStatus.Failed, cancel.Status);
        Assert.Contains("stranger has read permission on octo/widgets, and jobs.cancel_task.permission requires write", cancel.Error, StringComparison.Ordinal);
        Assert.Equal(JobStatus.Running, (await service.Store.GetJobAsync(running, CancellationToken.None))!.Status);
        _release.TrySetResult();
        AgentWorld.AssertCompleted(await service.WaitForJobAsync(running, JobStatus.Completed, JobStatus.Failed));
    }

    [Fact]
    public async Task Fix_from_a_non_collaborator_starts_no_agent()
    {
        // Attack: anyone may comment on a public repository; "/fix" from them must not run the coding agent with the service's credentials.
        _world.GitHub.Permissions["stranger"] = "none";
        await using var service = await StartAsync();

        var job = await service.WaitForJobAsync(JobId(await SendAsync(service, "issue_comment", Comment("/fix delete the tests", "stranger")), "command_task"), JobStatus.Completed, JobStatus.Failed);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Empty(_probe.Started);
        Assert.Contains("stranger has none permission on octo/widgets", job.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("agentfactory-app[bot]", "Bot")]
    [InlineData("factory-svc", "User")]
    public async Task The_agents_own_comments_and_bots_start_nothing(string login, string type)
    {
        // Attack (or accident): the service's tracking comment or an app's reply carries "/fix" or the mention, and the
        // comment starts the next agent, which comments again: a loop. The trust gate's bot and own-account rule stops it at ingest.
        _world.GitHub.Permissions[login] = "admin";
        await using var service = await StartAsync("factory-svc");

        var answer = await SendAsync(service, "issue_comment", Comment("/fix @agentfactory again", login, type));

        Assert.Empty(answer["jobs"]!.AsArray());
        Assert.Empty(await service.AllJobsAsync());
        Assert.Equal(0, _world.GitHub.PermissionChecks);
    }
}
