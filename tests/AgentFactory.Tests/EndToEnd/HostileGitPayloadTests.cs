using AgentFactory.Jobs;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>
/// Issue 10, items 5, 7, 8 and 12: payload values that try to make the agents run another
/// repository's code, another commit, a git option or a checkout in a directory another user controls.
/// Each test states the attack and proves nothing of it happens.
/// </summary>
public sealed class HostileGitPayloadTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private AgentWorld _world = null!;

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync();
        _world.AllowWrites(_dir.Path); // where the deploy scripts record that they ran
    }

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>A deploy script (committed executable) that appends its line to the shared record file.</summary>
    private static string Script(string line, string record) => $"#!/bin/sh\necho \"{line} in $PWD\" >> '{record}'\necho \"{line}\"\n";

    private static void Executable(GitRepo repo, string path)
    {
        repo.Git("update-index", "--chmod=+x", "--", path);
        repo.Git("commit", "--quiet", "--amend", "--no-edit");
    }

    /// <summary>An unrelated repository, cloned where GIT_SYNC_PATH points, with a tag v1.0.0 whose deploy script is not octo/widgets'.</summary>
    private GitRepo UnrelatedCloneWithTag(string record)
    {
        var other = GitRepo.InitWorking(_dir.File("unrelated"));
        other.Commit("Someone else's project", new Dictionary<string, string?> { ["scripts/deploy.sh"] = Script("UNRELATED REPOSITORY'S SCRIPT", record) });
        Executable(other, "scripts/deploy.sh");
        other.Git("tag", "v1.0.0");
        return other;
    }

    private void ReleaseOfWidgets(string tag, string record)
    {
        _world.Author.Commit("Release", new Dictionary<string, string?> { ["scripts/deploy.sh"] = Script("widgets " + tag, record) });
        Executable(_world.Author, "scripts/deploy.sh");
        _world.Author.Git("tag", tag);
        _world.Author.Git("push", "--quiet", "origin", "main", tag);
    }

    private string Release(string repository, string tag) => _world.Payload("release", "published", n =>
    {
        n["repository"]!["full_name"] = repository;
        n["release"]!["tag_name"] = tag;
    });

    [Fact]
    public async Task Release_of_a_repository_the_service_cannot_fetch_never_runs_the_sync_clones_script_of_the_same_tag()
    {
        // Attack (item 5): GIT_SYNC_PATH is an unrelated clone with a tag v1.0.0; a signed release of
        // Codertocat/Hello-World v1.0.0 used to run that clone's scripts/deploy.sh and end "completed".
        var record = _dir.File("ran.txt");
        var unrelated = UnrelatedCloneWithTag(record);
        await using var service = await _world.StartServiceAsync(configure: o => o.GitSyncPath = unrelated.Path);

        var job = await AgentWorld.DeliverAsync(service, "release", Release("Codertocat/Hello-World", "v1.0.0"));

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.False(File.Exists(record), "no deploy script ran");
        Assert.Contains("Codertocat/Hello-World", job.Error, StringComparison.Ordinal);
        Assert.Contains("REPOSITORY_PATHS", job.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", job.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Release_runs_its_own_repositorys_script_even_when_the_sync_clone_has_the_same_tag()
    {
        var record = _dir.File("ran.txt");
        var unrelated = UnrelatedCloneWithTag(record);
        ReleaseOfWidgets("v1.0.0", record);
        await using var service = await _world.StartServiceAsync(configure: o => o.GitSyncPath = unrelated.Path);

        var job = await AgentWorld.DeliverAsync(service, "release", Release(AgentWorld.Repository, "v1.0.0"));

        AgentWorld.AssertCompleted(job);
        var ran = Assert.Single(File.ReadAllLines(record));
        Assert.StartsWith($"widgets v1.0.0 in {Path.Combine(service.DataDir, "worktrees")}/", ran, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1.1~1")]
    [InlineData("v1.1^")]
    [InlineData("HEAD")]
    [InlineData("--upload-pack=touch /tmp/af-never")]
    [InlineData("refs/heads/main")]
    [InlineData("v1.1:refs/heads/main")]
    public async Task Release_tag_that_is_a_revision_expression_an_option_or_another_ref_is_refused_before_any_git_command(string tag)
    {
        // Attack (item 7): "v1.1~1" resolved as refs/tags/v1.1~1, i.e. the parent of v1.1, and deployed that commit.
        var record = _dir.File("ran.txt");
        ReleaseOfWidgets("v1.0", record);
        ReleaseOfWidgets("v1.1", record);
        File.Delete(record);
        await using var service = await _world.StartServiceAsync();

        var job = await AgentWorld.DeliverAsync(service, "release", Release(AgentWorld.Repository, tag));

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(1, job.Attempt);
        Assert.Contains("release.tag_name", job.Error, StringComparison.Ordinal);
        Assert.Contains("is not a tag name", job.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(record), "no deploy script ran");
        Assert.Empty(_world.GitHub.GitRequests);
    }

    [Fact]
    public async Task Pull_request_head_sha_that_is_a_git_option_runs_nothing_with_checkout_on()
    {
        // Attack (item 8): head.sha "--upload-pack=touch …" reached `git fetch origin <sha>` as an option and ran the command.
        var marker = _dir.File("pwned");
        var head = _world.Push("Change", new Dictionary<string, string?> { ["a.txt"] = "a\n" });
        _world.GitHub.AddPullRequestRange(2, _world.Initial, head);
        var routing = """
            { "routes": [ { "event": "pull_request", "jobType": "github_pull_request" } ],
              "jobs": { "github_pull_request": { "agent": "review", "maxAttempts": 1 } },
              "agents": { "review": { "kind": "code_review", "checkout": true } } }
            """;
        await using var service = await _world.StartServiceAsync(routingJson: routing);

        var payload = _world.Payload("pull_request", "opened", n =>
        {
            n["number"] = 2;
            n["pull_request"]!["number"] = 2;
            n["pull_request"]!["head"]!["sha"] = $"--upload-pack=touch {marker}";
        });
        var job = await AgentWorld.DeliverAsync(service, "pull_request", payload);

        Assert.False(File.Exists(marker), "the injected command ran");
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("pull_request.head.sha", job.Error, StringComparison.Ordinal);
        Assert.Contains("is not a commit SHA", job.Error, StringComparison.Ordinal);
        Assert.Empty(_world.GitHub.Reviews);
    }

    [Fact]
    public async Task Hostile_clone_url_gets_no_request_and_no_token_and_the_plan_is_pushed_to_the_configured_git_host()
    {
        // Attack (item 7): repository.clone_url pointing at the attacker made the task agent push there
        // (with the token as a header when the attacker's https host matched that same value). The
        // manual trigger let anyone with its token send such a payload; a signed one must not work either.
        await using var attacker = await RecordingRemote.StartAsync();
        _world.GitHub.AddIssue(1, "Write a plan", "Please.", "agent-task");
        await using var service = await _world.StartServiceAsync();

        var payload = _world.Payload("issues", "labeled", n =>
        {
            n["label"]!["name"] = "agent-task";
            n["issue"]!["number"] = 1;
            n["repository"]!["clone_url"] = new Uri(attacker.BaseUrl, "octo/widgets.git").AbsoluteUri;
            n["repository"]!["html_url"] = attacker.BaseUrl.AbsoluteUri;
        });
        var job = await AgentWorld.DeliverAsync(service, "issues", payload);

        AgentWorld.AssertCompleted(job);
        Assert.Empty(attacker.Requests);
        Assert.Contains("Plan for #1", _world.Origin.Git("log", "-1", "--format=%s", "agent-task/issue-1"), StringComparison.Ordinal);
        Assert.Contains(_world.GitHub.GitRequests, r => r.Path.EndsWith("/git-receive-pack", StringComparison.Ordinal) && r.Authorization is not null);
    }

    [Fact]
    public async Task Directory_pre_created_at_the_old_shared_tmp_worktree_root_has_no_effect()
    {
        // Attack (item 12): worktrees lived in <tmp>/agentfactory-worktrees, which another local user
        // could create first (here: a link to a directory they own) and race to swap the script.
        var oldRoot = Path.Combine(Path.GetTempPath(), "agentfactory-worktrees");
        var attackerDir = Directory.CreateDirectory(_dir.File("attacker-owned")).FullName;
        var planted = !Path.Exists(oldRoot) && new FileInfo(oldRoot).LinkTarget is null;
        if (planted) File.CreateSymbolicLink(oldRoot, attackerDir);
        try
        {
            var record = _dir.File("ran.txt");
            ReleaseOfWidgets("v1.0.0", record);
            await using var service = await _world.StartServiceAsync();

            var job = await AgentWorld.DeliverAsync(service, "release", Release(AgentWorld.Repository, "v1.0.0"));

            AgentWorld.AssertCompleted(job);
            Assert.StartsWith($"widgets v1.0.0 in {Path.Combine(service.DataDir, "worktrees")}/", Assert.Single(File.ReadAllLines(record)), StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(attackerDir));
        }
        finally
        {
            if (planted) File.Delete(oldRoot);
        }
    }
}
