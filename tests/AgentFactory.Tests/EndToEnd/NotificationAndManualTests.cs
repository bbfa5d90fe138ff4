using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AgentFactory.GitHub;
using AgentFactory.Jobs;
using AgentFactory.Notify;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>Example 4 (manual custom_task), job-end notifications per job type, and GitHub App authentication.</summary>
public sealed class NotificationAndManualTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private AgentWorld _world = null!;
    private ChatChannels _channels = null!;

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync();
        _channels = await ChatChannels.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _channels.DisposeAsync();
        await _world.DisposeAsync();
        _dir.Dispose();
    }

    private NotifySettings Channels => _channels.Settings("@deploys");

    private static string CustomTaskRouting(string script, string notifyOn) => $$$"""
        {
          "routes": [],
          "jobs": {
            "custom_task": { "agent": "docs-bot", "manual": true, "maxAttempts": 1, "timeout": "00:01:00", "notify": ["telegram", "slack"], "notifyOn": [{{{notifyOn}}}] }
          },
          "agents": { "docs-bot": { "kind": "command", "command": ["{{{script}}}", "{{task}}"] } }
        }
        """;

    private static async Task<JobRecord> TriggerAsync(TestService service, string json)
    {
        var response = await service.Http.SendAsync(service.Manual(json));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["job_id"]!.GetValue<long>();
        return await service.WaitForJobAsync(id, JobStatus.Completed, JobStatus.Failed);
    }

    private const string GuideRequest = """{"job_type": "custom_task", "payload": {"task": "Update documentation", "files": ["README.md"]}}""";

    [Fact]
    public async Task Manual_custom_task_runs_the_configured_agent_with_its_payload_and_notifies_on_completion()
    {
        var script = Scripts.Write(_dir, "docs.sh", "echo \"task: $1\"; cat");
        await using var service = await _world.StartServiceAsync(notify: Channels, routingJson: CustomTaskRouting(script, "\"completed\", \"failed\""));

        var job = await TriggerAsync(service, GuideRequest);

        AgentWorld.AssertCompleted(job);
        Assert.StartsWith("task: Update documentation\n", job.Output, StringComparison.Ordinal);
        Assert.Equal(["README.md"], JsonNode.Parse(job.Output![job.Output!.IndexOf('{', StringComparison.Ordinal)..])!["payload"]!["files"]!.AsArray().Select(f => f!.GetValue<string>()));
        // The notice follows the verdict, so it may arrive just after the job reads completed.
        var message = await WaitForTelegramAsync();
        Assert.Equal("@deploys", message["chat_id"]!.GetValue<string>());
        Assert.Contains($"Job {job.Id} (custom_task) completed", message["text"]!.GetValue<string>(), StringComparison.Ordinal);
        await _channels.Slack.WaitForAsync(r => r.Path == FakeSlack.HookPath);
        Assert.Contains($"Job {job.Id} (custom_task) completed", Assert.Single(_channels.Slack.Texts), StringComparison.Ordinal);
        Assert.Single(_channels.Telegram.Messages);
    }

    [Fact]
    public async Task Failed_job_is_announced_and_a_failing_notifier_leaves_the_verdict_alone()
    {
        var script = Scripts.Write(_dir, "docs.sh", "echo 'cannot write docs' >&2; exit 2");
        _channels.Slack.Fail("POST", FakeSlack.HookPath, 404, body: "no_service", contentType: "text/plain");
        await using var service = await _world.StartServiceAsync(notify: Channels, routingJson: CustomTaskRouting(script, "\"failed\""));

        var job = await TriggerAsync(service, GuideRequest);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("exited with code 2", job.Error, StringComparison.Ordinal);
        var text = (await WaitForTelegramAsync())["text"]!.GetValue<string>();
        Assert.Contains($"Job {job.Id} (custom_task) failed after 1 attempt", text, StringComparison.Ordinal);
        Assert.Contains("cannot write docs", text, StringComparison.Ordinal);
        await _channels.Slack.WaitForAsync(r => r.Path == FakeSlack.HookPath);
        Assert.Equal(JobStatus.Failed, (await service.Store.GetJobAsync(job.Id, default))!.Status);
    }

    [Fact]
    public async Task Completed_job_is_not_announced_when_notify_on_lists_only_failed()
    {
        var script = Scripts.Write(_dir, "docs.sh", "echo done");
        await using var service = await _world.StartServiceAsync(notify: Channels, routingJson: CustomTaskRouting(script, "\"failed\""));

        var first = await TriggerAsync(service, GuideRequest);
        var second = await TriggerAsync(service, GuideRequest);

        AgentWorld.AssertCompleted(first);
        AgentWorld.AssertCompleted(second);
        Assert.Empty(_channels.Telegram.Requests);
        Assert.Empty(_channels.Slack.Requests);
    }

    [Fact]
    public async Task Github_app_exchanges_a_signed_jwt_for_an_installation_token_once_and_acts_with_it()
    {
        using var key = RSA.Create(2048);
        _world.GitHub.AppId = 4242;
        _world.GitHub.AppPublicKey = key;
        var app = new GitHubSettings { ApiUrl = _world.GitHub.ApiUrl, AppId = 4242, AppPrivateKeyPem = key.ExportRSAPrivateKeyPem() };
        var after = _world.Push("Change", new Dictionary<string, string?> { ["a.txt"] = "a\n" });
        await using var service = await _world.StartServiceAsync(github: app);

        string Payload() => _world.Payload("push", "push", n =>
        {
            n["ref"] = "refs/heads/main";
            n["before"] = _world.Initial;
            n["after"] = after;
            n["installation"]!["id"] = 77;
        });
        AgentWorld.AssertCompleted(await AgentWorld.DeliverAsync(service, "push", Payload()));
        AgentWorld.AssertCompleted(await AgentWorld.DeliverAsync(service, "push", Payload()));

        var exchange = Assert.Single(_world.GitHub.Requests, r => r.Path.EndsWith("/app/installations/77/access_tokens", StringComparison.Ordinal));
        Assert.StartsWith("Bearer ey", exchange.Authorization, StringComparison.Ordinal);
        var apiCalls = _world.GitHub.Requests.Where(r => r.Path.Contains("/repos/", StringComparison.Ordinal)).ToList();
        // Each push review: the compare, the commit comment, and its check run (created, then ended).
        Assert.Equal(8, apiCalls.Count);
        Assert.Equal(2, _world.GitHub.CheckRuns.Count);
        Assert.All(apiCalls, r => Assert.StartsWith("token ghs_installation77_", r.Authorization, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(2, _world.GitHub.CommitComments.Count);
    }

    private async Task<JsonNode> WaitForTelegramAsync()
    {
        var request = await _channels.Telegram.WaitForAsync(r => r.Path.EndsWith("/sendMessage", StringComparison.Ordinal));
        return JsonNode.Parse(request.Body)!;
    }
}
