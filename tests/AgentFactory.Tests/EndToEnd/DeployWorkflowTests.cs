using AgentFactory.Jobs;
using AgentFactory.Notify;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>The guide's Example 2: signed release → deploy agent runs the repository's script at the tag → Telegram and Slack.</summary>
public sealed class DeployWorkflowTests : IAsyncLifetime
{
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
    }

    private NotifySettings Channels => _channels.Settings("-1001");

    /// <summary>Tags v1.0.0 with a deploy script and VERSION 1.0.0, then moves main on to 2.0.0 (so only a checkout of the tag says 1.0.0).</summary>
    private void ReleaseWithScript(string script)
    {
        var scriptPath = Path.Combine(_world.Author.Path, "scripts", "deploy.sh");
        Directory.CreateDirectory(Path.GetDirectoryName(scriptPath)!);
        File.WriteAllText(scriptPath, "#!/bin/sh\n" + script + "\n");
        File.SetUnixFileMode(scriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _world.Push("Release 1.0.0", new Dictionary<string, string?> { ["VERSION"] = "1.0.0\n", ["scripts/deploy.sh"] = File.ReadAllText(scriptPath) });
        _world.Author.Git("tag", "v1.0.0");
        _world.Author.Git("push", "--quiet", "origin", "v1.0.0");
        _world.Push("Start 2.0.0", new Dictionary<string, string?> { ["VERSION"] = "2.0.0\n" });
    }

    private string ReleasePayload() => _world.Payload("release", "published", n =>
    {
        n["release"]!["tag_name"] = "v1.0.0";
        n["release"]!["name"] = "First release";
        n["release"]!["html_url"] = "https://github.example/octo/widgets/releases/tag/v1.0.0";
    });

    [Fact]
    public async Task Release_runs_the_deploy_script_in_a_checkout_of_the_tag_and_posts_the_outcome_to_telegram_and_slack()
    {
        ReleaseWithScript("echo \"deploying $AF_RELEASE_TAG ($AF_RELEASE_NAME) $AF_RELEASE_URL version $(cat VERSION) arg $1\"");
        await using var service = await _world.StartServiceAsync(notify: Channels);

        var job = await AgentWorld.DeliverAsync(service, "release", ReleasePayload());

        AgentWorld.AssertCompleted(job);
        Assert.Contains("deploying v1.0.0 (First release) https://github.example/octo/widgets/releases/tag/v1.0.0 version 1.0.0 arg v1.0.0", job.Output, StringComparison.Ordinal);
        var telegram = Assert.Single(_channels.Telegram.Messages);
        Assert.Equal(-1001, telegram["chat_id"]!.GetValue<long>());
        Assert.Equal("HTML", telegram["parse_mode"]!.GetValue<string>(), ignoreCase: true);
        Assert.Contains("Deployed octo/widgets v1.0.0", telegram["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("version 1.0.0", telegram["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Deployed octo/widgets v1.0.0", Assert.Single(_channels.Slack.Texts), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(service.DataDir, "worktrees")));
        Assert.Equal(1, AgentWorld.WorktreeCount(service));
    }

    [Fact]
    public async Task Failing_telegram_does_not_fail_the_deployment_and_slack_still_hears_of_it()
    {
        ReleaseWithScript("echo deployed");
        _channels.Telegram.Fail("POST", "/sendMessage", 500, body: """{"ok":false,"error_code":500,"description":"Internal Server Error"}""");
        await using var service = await _world.StartServiceAsync(notify: Channels);

        var job = await AgentWorld.DeliverAsync(service, "release", ReleasePayload());

        AgentWorld.AssertCompleted(job);
        Assert.Contains("[notification failed: telegram:", job.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeTelegram.Token, job.Output, StringComparison.Ordinal);
        Assert.Contains("Deployed octo/widgets v1.0.0", Assert.Single(_channels.Slack.Texts), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failing_deploy_script_fails_the_job_and_reports_the_exit_code_and_output_tail()
    {
        ReleaseWithScript("echo 'migrating database'; echo 'error: migration 42 failed' >&2; exit 3");
        await using var service = await _world.StartServiceAsync(notify: Channels);

        var job = await AgentWorld.DeliverAsync(service, "release", ReleasePayload());

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("exited with code 3", job.Error, StringComparison.Ordinal);
        var text = Assert.Single(_channels.Telegram.Messages)["text"]!.GetValue<string>();
        Assert.Contains("Deployment of octo/widgets v1.0.0 failed (exit code 3)", text, StringComparison.Ordinal);
        Assert.Contains("error: migration 42 failed", text, StringComparison.Ordinal);
    }
}
