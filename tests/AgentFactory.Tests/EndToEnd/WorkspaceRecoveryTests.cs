using AgentFactory.Tests.Faults;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>
/// Issue 10, item 2 (the worktree half): after `kill -9` of the service in the middle of a deploy,
/// its worktree stayed on disk and in the mirror's `git worktree list` for good. The next start
/// removes it from both, and says how many it removed.
/// </summary>
public sealed class WorkspaceRecoveryTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private AgentWorld _world = null!;

    public async Task InitializeAsync() => _world = await AgentWorld.CreateAsync();

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Worktree_of_a_deploy_running_when_the_service_was_killed_is_removed_and_pruned_at_the_next_start()
    {
        var sleeper = AgentFactory.Tests.Sandbox.SandboxWorld.Marker();
        _world.Author.Commit("Slow deployment", new Dictionary<string, string?> { ["scripts/deploy.sh"] = $"#!/bin/sh\nexec sleep {sleeper}\n" });
        _world.Author.Git("update-index", "--chmod=+x", "--", "scripts/deploy.sh");
        _world.Author.Git("commit", "--quiet", "--amend", "--no-edit");
        _world.Author.Git("tag", "v1.0.0");
        _world.Author.Git("push", "--quiet", "origin", "main", "v1.0.0");
        var data = _dir.File("data");
        var env = new Dictionary<string, string>
        {
            ["GITHUB_WEBHOOK_SECRET"] = FaultEnv.Secret,
            ["MANUAL_TRIGGER_TOKEN"] = FaultEnv.Token,
            ["AGENTFACTORY_DATA_DIR"] = data,
            ["GITHUB_API_URL"] = _world.GitHub.ApiUrl.AbsoluteUri,
            ["GITHUB_TOKEN"] = AgentWorld.Token,
            ["ORCHESTRATOR_LOG_LEVEL"] = "INFO",
            ["TICK_INTERVAL_SECONDS"] = "1",
        };
        var mirror = new GitRepo(Path.Combine(data, "mirrors", "octo", "widgets.git"));
        int WorktreeEntries() => mirror.Git("worktree", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

        string stale;
        using (var first = ServiceProcess.Start(_dir.Path, "first", env, "serve"))
        {
            await first.WaitListeningAsync();
            using var http = new HttpClient { BaseAddress = first.Url };
            var release = _world.Payload("release", "published", n => n["release"]!["tag_name"] = "v1.0.0");
            using var response = await http.SendAsync(Fixtures.Delivery("release", release, FaultEnv.Secret));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            await FaultScale.Until(() => Task.FromResult(AgentFactory.Tests.Sandbox.HostScan.With(sleeper).Count > 0), "the deploy script to start", () => first.Output);
            stale = Assert.Single(Directory.GetDirectories(Path.Combine(data, "worktrees")));
            Assert.Equal(2, WorktreeEntries());

            first.Kill();
            // Item 2: the deploy script dies with the service (the sandbox's --die-with-parent).
            Assert.True(await AgentFactory.Tests.Sandbox.HostScan.GoneAsync(sleeper, TimeSpan.FromSeconds(10)), "the deploy script outlived the killed service");
        }
        Assert.True(Directory.Exists(stale), "the killed service left its worktree");

        using var second = ServiceProcess.Start(_dir.Path, "second", env, "serve");
        await FaultScale.Until(() => Task.FromResult(second.Output.Contains("Removed 1 stale worktree(s)", StringComparison.Ordinal)),
            "the restarted service to report the stale worktree", () => second.Output, TimeSpan.FromSeconds(60));

        Assert.False(Directory.Exists(stale));
        Assert.False(File.Exists(stale + ".lock"));
        Assert.DoesNotContain(stale, mirror.Git("worktree", "list"), StringComparison.Ordinal);
        Assert.Equal(1, WorktreeEntries());
    }
}
