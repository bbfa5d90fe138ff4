using AgentFactory.Agents;
using AgentFactory.GitHub;
using AgentFactory.Options;
using AgentFactory.Tests.Support;
using AgentFactory.Workspace;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;

namespace AgentFactory.Tests.Workspace;

/// <summary>Per-job worktrees of per-repository mirrors, against real repositories and git over HTTP from the fake GitHub.</summary>
public sealed class WorktreesTests : IAsyncLifetime
{
    private readonly TempDir _data = new();
    private AgentWorld _world = null!;
    private AgentFactoryOptions _options = null!;
    private GitHubClients _clients = null!;
    private Mirrors _mirrors = null!;
    private Worktrees _worktrees = null!;

    private static RepositoryName Widgets => RepositoryName.TryParse(AgentWorld.Repository, out var name) ? name : throw new InvalidOperationException();

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync();
        _options = new AgentFactoryOptions { DataDirectory = _data.Path };
        _clients = new GitHubClients(_world.TokenSettings(), TimeProvider.System, NullLogger<GitHubClients>.Instance);
        (_mirrors, _worktrees) = Build(_options);
    }

    public async Task DisposeAsync()
    {
        _mirrors.Dispose();
        _clients.Dispose();
        await _world.DisposeAsync();
        _data.Dispose();
    }

    private static (Mirrors, Worktrees) Build(AgentFactoryOptions options)
    {
        var mirrors = new Mirrors(options, TestProcesses.Git(), NullLogger<Mirrors>.Instance);
        return (mirrors, new Worktrees(options, mirrors, TestProcesses.Git(), NullLogger<Worktrees>.Instance));
    }

    private RepositorySources Sources(AgentFactoryOptions? options = null) => new(options ?? _options, _clients);

    private RepositorySource FromGitHub => Sources().OnGitHost(Widgets, AgentWorld.Token);

    private GitRepo Mirror => new(_mirrors.PathOf(Widgets));

    private int WorktreeCount() => Mirror.Git("worktree", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    [Fact]
    public async Task Concurrent_jobs_get_separate_checkouts_fetched_from_the_configured_git_host_with_the_token_and_each_is_removed_after()
    {
        var sha = _world.Push("Second", new Dictionary<string, string?> { ["VERSION"] = "2\n" });

        var trees = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => _worktrees.CheckoutAsync(FromGitHub, GitTarget.Commit(sha), $"job{i}", default)));

        Assert.Equal(3, trees.Select(t => t.Path).Distinct().Count());
        Assert.All(trees, t => Assert.StartsWith(Path.Combine(_data.Path, "worktrees") + "/", t.Path, StringComparison.Ordinal));
        Assert.All(trees, t => Assert.Equal("2\n", File.ReadAllText(Path.Combine(t.Path, "VERSION"))));
        File.WriteAllText(Path.Combine(trees[0].Path, "VERSION"), "changed by job 0\n");
        Assert.Equal("2\n", File.ReadAllText(Path.Combine(trees[1].Path, "VERSION")));
        Assert.Equal(4, WorktreeCount());
        var basic = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("x-access-token:" + AgentWorld.Token));
        Assert.Contains(_world.GitHub.GitRequests, r => r.Authorization == basic);

        foreach (var t in trees) await t.DisposeAsync();
        Assert.All(trees, t => Assert.False(Directory.Exists(t.Path)));
        Assert.All(trees, t => Assert.False(File.Exists(t.Path + ".lock")));
        Assert.Equal(1, WorktreeCount());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(_data.Path, "worktrees")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(_data.Path, "mirrors")));
    }

    [Fact]
    public async Task Worktree_is_removed_when_the_job_fails_inside_it()
    {
        string? path = null;
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var tree = await _worktrees.CheckoutAsync(FromGitHub, GitTarget.Branch("main"), "failing", default);
            path = tree.Path;
            throw new InvalidOperationException("the agent failed");
        });
        Assert.False(Directory.Exists(path));
        Assert.Equal(1, WorktreeCount());
    }

    [Fact]
    public async Task Missing_tag_fails_for_good_naming_the_repository_and_the_settings_to_check_and_leaves_nothing_behind()
    {
        var e = await Assert.ThrowsAsync<PermanentAgentException>(() => _worktrees.CheckoutAsync(FromGitHub, GitTarget.Tag("v9.9.9"), "missing", default));
        Assert.Contains("tag v9.9.9 of octo/widgets", e.Message, StringComparison.Ordinal);
        Assert.Contains("REPOSITORY_PATHS", e.Message, StringComparison.Ordinal);
        Assert.Contains("GITHUB_TOKEN", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, WorktreeCount());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_data.Path, "worktrees")));
    }

    [Fact]
    public async Task Repository_mapped_by_REPOSITORY_PATHS_is_read_from_that_clone_and_the_git_host_is_never_asked()
    {
        var local = GitRepo.Clone(_world.Origin.Path, _data.File("local-clone"));
        var sha = local.Commit("Only in the local clone", new Dictionary<string, string?> { ["LOCAL"] = "yes\n" });
        var options = new AgentFactoryOptions { DataDirectory = _data.Path, RepositoryPaths = new Dictionary<string, string> { ["octo/widgets"] = local.Path } };

        await using (var tree = await _worktrees.CheckoutAsync(Sources(options).Mapped(Widgets)!, GitTarget.Branch("main"), "mapped", default))
        {
            Assert.Equal(sha, tree.Sha);
            Assert.Equal("yes\n", File.ReadAllText(Path.Combine(tree.Path, "LOCAL")));
        }
        Assert.Empty(_world.GitHub.GitRequests);
        Assert.Equal(1, WorktreeCount());
    }

    [Fact]
    public async Task Worktree_left_by_a_killed_service_is_removed_at_start_and_pruned_from_its_mirror_while_a_live_jobs_worktree_stays()
    {
        // A live job of another instance sharing the data directory: it holds its worktree's lock.
        await using var live = await _worktrees.CheckoutAsync(FromGitHub, GitTarget.Branch("main"), "live", default);
        // What a SIGKILLed service leaves: the worktree on disk and in the mirror's list, its lock file released by the kernel.
        var stale = Path.Combine(_data.Path, "worktrees", "deploy-7-deadbeef");
        Mirror.Git("worktree", "add", "--detach", stale, live.Sha);
        File.WriteAllText(stale + ".lock", "");
        Assert.Equal(3, WorktreeCount());

        var log = new FakeLogger<WorkspaceStartup>();
        var (mirrors, worktrees) = Build(_options); // the restarted service
        using (mirrors) await new WorkspaceStartup(_options, worktrees, log).StartAsync(default);

        Assert.False(Directory.Exists(stale));
        Assert.False(File.Exists(stale + ".lock"));
        Assert.True(Directory.Exists(live.Path));
        Assert.Equal(2, WorktreeCount());
        Assert.DoesNotContain(stale, Mirror.Git("worktree", "list"), StringComparison.Ordinal);
        Assert.Contains("Removed 1 stale worktree(s)", log.LatestRecord.Message, StringComparison.Ordinal);
        Assert.Contains("1 entries pruned", log.LatestRecord.Message, StringComparison.Ordinal);
    }
}
