using System.Text;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Orchestration;
using AgentFactory.Sandbox;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;
using AgentFactory.Workspace;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>
/// Issue 10, item 12: a token inside a configured remote URL ("https://x-access-token:TOKEN@host/…")
/// appeared in the job's error, an INFO log line, the chat notices and in `ps`. It must reach the git
/// host as a header and nowhere else: not in any git's (or git helper's) arguments, nor in anything
/// git printed that the service stores, logs or posts.
/// </summary>
public sealed class CredentialRedactionTests : IAsyncLifetime
{
    private const string Secret = "s3cr3t-token-in-a-remote-url-0001";
    private readonly TempDir _dir = new();
    private AgentWorld _world = null!;
    private ChatChannels _channels = null!;
    private GitWrapper _git = null!;

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync();
        _channels = await ChatChannels.StartAsync();
        _git = new GitWrapper(_dir);
        _world.GitHub.AddIssue(1, "Write a plan", "Please.", "agent-task");
    }

    public async Task DisposeAsync()
    {
        await _channels.DisposeAsync();
        await _world.DisposeAsync();
        _dir.Dispose();
    }

    private static string Basic(string token) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + token));

    /// <summary>The remote's URL on the fake GitHub with a credential in it.</summary>
    private string RemoteWith(string token, string repository) =>
        new UriBuilder(_world.GitHub.BaseUrl) { UserName = "x-access-token", Password = token, Path = repository + ".git" }.Uri.AbsoluteUri;

    private static string TaskRouting(string remote) => $$"""
        { "routes": [ { "event": "issues", "actions": ["labeled"], "jobType": "github_issue" } ],
          "jobs": { "github_issue": { "agent": "task", "maxAttempts": 1, "notify": ["*"], "notifyOn": ["failed"] } },
          "agents": { "task": { "kind": "task", "remote": "{{remote}}" } } }
        """;

    private string Labeled() => _world.Payload("issues", "labeled", n =>
    {
        n["label"]!["name"] = "agent-task";
        n["issue"]!["number"] = 1;
    });

    [Fact]
    public async Task Token_in_the_task_agents_remote_url_is_sent_as_a_header_only_and_is_in_no_argument_list()
    {
        await using var service = await _world.StartServiceAsync(routingJson: TaskRouting(RemoteWith(AgentWorld.Token, AgentWorld.Repository)), environment: _git.Environment());

        var job = await AgentWorld.DeliverAsync(service, "issues", Labeled());

        AgentWorld.AssertCompleted(job);
        Assert.Contains(_world.GitHub.GitRequests, r => r.Path.EndsWith("/git-receive-pack", StringComparison.Ordinal) && r.Authorization == Basic(AgentWorld.Token));
        Assert.True(_git.SawRemoteHelper(), _git.Recorded());
        Assert.DoesNotContain(AgentWorld.Token, _git.Recorded(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_push_to_a_remote_url_with_a_token_leaves_the_token_out_of_the_job_error_the_logs_the_notices_and_ps()
    {
        var logs = new FakeLoggerProvider();
        await using var service = await _world.StartServiceAsync(
            routingJson: TaskRouting(RemoteWith(Secret, "octo/no-such-repository")), notify: _channels.Settings("-1001"), environment: _git.Environment(),
            configure: o => o.LogLevel = "DEBUG", services: s => s.AddSingleton<ILoggerProvider>(logs));

        var job = await AgentWorld.DeliverAsync(service, "issues", Labeled());

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.DoesNotContain(Secret, job.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", job.Error, StringComparison.Ordinal);
        Assert.Contains("Could not push the plan branch", job.Error, StringComparison.Ordinal);
        Assert.Contains(_world.GitHub.GitRequests, r => r.Path.StartsWith("/octo/no-such-repository.git/", StringComparison.Ordinal) && r.Authorization == Basic(Secret));
        Assert.True(_git.SawRemoteHelper(), _git.Recorded());
        Assert.DoesNotContain(Secret, _git.Recorded(), StringComparison.Ordinal);
        var notice = (await _channels.Slack.WaitForAsync(_ => true)).Body;
        Assert.Contains("Could not push the plan branch", notice, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, notice, StringComparison.Ordinal);
        var telegram = (await _channels.Telegram.WaitForAsync(r => r.Path.EndsWith("/sendMessage", StringComparison.Ordinal))).Body;
        Assert.Contains("Could not push the plan branch", telegram, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, telegram, StringComparison.Ordinal);
        var logged = logs.Collector.GetSnapshot();
        Assert.Contains(logged, r => r.Message.Contains("Could not push the plan branch", StringComparison.Ordinal));
        Assert.DoesNotContain(logged, r => (r.Message + r.Exception).Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Git_sync_of_a_working_copy_whose_origin_url_holds_a_token_pulls_with_it_as_a_header_and_logs_no_token()
    {
        var clone = GitRepo.Clone(_world.Origin.Path, _dir.File("working-copy"));
        clone.Git("remote", "set-url", "origin", RemoteWith(AgentWorld.Token, AgentWorld.Repository));
        var sha = _world.Push("New", new Dictionary<string, string?> { ["NEW"] = "1\n" });
        var log = new FakeLogger<GitSync>();
        var git = new Git(TestProcesses.Host, new ProcessEnvironment(_git.Environment()));
        var sync = new GitSync(new AgentFactoryOptions { GitSyncEnabled = true, GitSyncPath = clone.Path, LogLevel = "DEBUG" }, git, log);

        Assert.Equal("ok", await sync.SyncAsync(default));

        Assert.Equal(sha, clone.Head());
        Assert.Contains(_world.GitHub.GitRequests, r => r.Authorization == Basic(AgentWorld.Token));
        Assert.True(_git.SawRemoteHelper(), _git.Recorded());
        Assert.DoesNotContain(AgentWorld.Token, _git.Recorded(), StringComparison.Ordinal);
        Assert.DoesNotContain(log.Collector.GetSnapshot(), r => r.Message.Contains(AgentWorld.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Git_sync_refused_by_the_host_logs_gits_reason_without_the_token()
    {
        var clone = GitRepo.Clone(_world.Origin.Path, _dir.File("working-copy"));
        clone.Git("remote", "set-url", "origin", RemoteWith(Secret, AgentWorld.Repository)); // a token the host does not know
        var log = new FakeLogger<GitSync>();
        var git = new Git(TestProcesses.Host, new ProcessEnvironment(_git.Environment()));
        var sync = new GitSync(new AgentFactoryOptions { GitSyncEnabled = true, GitSyncPath = clone.Path }, git, log);

        Assert.Equal("failed", await sync.SyncAsync(default));

        Assert.Contains("git sync of", log.LatestRecord.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Collector.GetSnapshot(), r => r.Message.Contains(Secret, StringComparison.Ordinal));
        Assert.DoesNotContain(Secret, _git.Recorded(), StringComparison.Ordinal);
    }
}
