using AgentFactory.Agents;
using AgentFactory.Workspace;
using AgentFactory.Options;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentFactory.Tests.Workspace;

/// <summary>Per-job worktrees of the shared clone, against real repositories.</summary>
public sealed class WorktreesTests : IAsyncLifetime
{
    private AgentWorld _world = null!;
    private Worktrees _worktrees = null!;

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync();
        _worktrees = new Worktrees(new AgentFactoryOptions { GitSyncPath = _world.Shared.Path }, TestProcesses.Git(), NullLogger<Worktrees>.Instance);
    }

    public async Task DisposeAsync()
    {
        _worktrees.Dispose();
        await _world.DisposeAsync();
    }

    private int WorktreeCount() => _world.Shared.Git("worktree", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    [Fact]
    public async Task Concurrent_jobs_get_separate_checkouts_of_a_commit_the_clone_had_to_fetch_and_each_is_removed_after()
    {
        var sha = _world.Push("Second", new Dictionary<string, string?> { ["VERSION"] = "2\n" });

        var trees = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => _worktrees.CheckoutAsync(GitTarget.Commit(sha), $"job{i}", default)));

        Assert.Equal(3, trees.Select(t => t.Path).Distinct().Count());
        Assert.All(trees, t => Assert.Equal("2\n", File.ReadAllText(Path.Combine(t.Path, "VERSION"))));
        File.WriteAllText(Path.Combine(trees[0].Path, "VERSION"), "changed by job 0\n");
        Assert.Equal("2\n", File.ReadAllText(Path.Combine(trees[1].Path, "VERSION")));
        Assert.Equal(4, WorktreeCount());

        foreach (var t in trees) await t.DisposeAsync();
        Assert.All(trees, t => Assert.False(Directory.Exists(t.Path)));
        Assert.Equal(1, WorktreeCount());
        Assert.False(File.Exists(Path.Combine(_world.Shared.Path, "VERSION")));
    }

    [Fact]
    public async Task Worktree_is_removed_when_the_job_fails_inside_it()
    {
        string? path = null;
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var tree = await _worktrees.CheckoutAsync(GitTarget.Branch("main"), "failing", default);
            path = tree.Path;
            throw new InvalidOperationException("the agent failed");
        });
        Assert.False(Directory.Exists(path));
        Assert.Equal(1, WorktreeCount());
    }

    [Fact]
    public async Task Missing_tag_fails_the_checkout_with_gits_reason_and_leaves_nothing_behind()
    {
        var e = await Assert.ThrowsAsync<GitException>(() => _worktrees.CheckoutAsync(GitTarget.Tag("v9.9.9"), "missing", default));
        Assert.Contains("tag v9.9.9 is not in the shared clone", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, WorktreeCount());
    }

    [Fact]
    public async Task Shared_path_that_is_not_a_clone_says_so()
    {
        using var dir = new TempDir();
        using var worktrees = new Worktrees(new AgentFactoryOptions { GitSyncPath = dir.Path }, TestProcesses.Git(), NullLogger<Worktrees>.Instance);
        var e = await Assert.ThrowsAsync<PermanentAgentException>(() => worktrees.CheckoutAsync(GitTarget.Branch("main"), "x", default));
        Assert.Contains("GIT_SYNC_PATH", e.Message, StringComparison.Ordinal);
    }
}
