using System.Diagnostics;
using AgentFactory.Options;
using AgentFactory.Orchestration;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentFactory.Tests.Orchestration;

/// <summary>GIT_SYNC_ENABLED against real repositories: a bare remote and a working copy cloned from it.</summary>
public sealed class GitSyncTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _remote;
    private readonly string _clone;
    private readonly string _upstream;

    public GitSyncTests()
    {
        _remote = _dir.File("remote.git");
        _clone = _dir.File("clone");
        _upstream = _dir.File("upstream");
        Git(_dir.Path, "init", "-q", "--bare", "-b", "main", _remote);
        Git(_dir.Path, "clone", "-q", _remote, _upstream);
        Commit(_upstream, "first.txt");
        Git(_upstream, "push", "-q", "origin", "HEAD:main");
        Git(_dir.Path, "clone", "-q", "-b", "main", _remote, _clone);
    }

    public void Dispose() => _dir.Dispose();

    private static string Git(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "user.email=t@example.com", "-c", "user.name=t" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"git {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
        return output.Trim();
    }

    private static void Commit(string dir, string file)
    {
        File.WriteAllText(Path.Combine(dir, file), file);
        Git(dir, "add", file);
        Git(dir, "commit", "-q", "-m", "add " + file);
    }

    private GitSync Sync(TimeSpan? timeout = null, bool enabled = true) => new(new AgentFactoryOptions
    {
        GitSyncEnabled = enabled,
        GitSyncPath = _clone,
        GitSyncTimeout = timeout ?? TimeSpan.FromSeconds(30),
    }, TestProcesses.Git(), NullLogger<GitSync>.Instance);

    [Fact]
    public async Task Pull_brings_new_commits_into_the_working_copy()
    {
        Commit(_upstream, "second.txt");
        Git(_upstream, "push", "-q", "origin", "HEAD:main");
        Assert.Equal("ok", await Sync().SyncAsync(default));
        Assert.True(File.Exists(Path.Combine(_clone, "second.txt")));
        Assert.Equal(Git(_upstream, "rev-parse", "HEAD"), Git(_clone, "rev-parse", "HEAD"));
    }

    [Fact]
    public async Task Diverged_working_copy_is_not_merged_and_reports_failure()
    {
        Commit(_upstream, "theirs.txt");
        Git(_upstream, "push", "-q", "origin", "HEAD:main");
        Commit(_clone, "ours.txt");
        var before = Git(_clone, "rev-parse", "HEAD");
        Assert.Equal("failed", await Sync().SyncAsync(default));
        Assert.Equal(before, Git(_clone, "rev-parse", "HEAD")); // --ff-only: nothing rewritten
    }

    [Fact]
    public async Task Hanging_remote_is_cut_off_at_the_timeout()
    {
        // A remote whose transport never answers (git's ext:: transport running sleep).
        Git(_clone, "config", "protocol.ext.allow", "always");
        var marker = $"{300 + Random.Shared.Next(1000)}.25"; // a sleep length no other test uses
        Git(_clone, "remote", "set-url", "origin", $"ext::sleep {marker}");
        // Returning at all (instead of after five minutes) is the timeout working; the hung transport is gone too.
        Assert.Equal("failed", await Sync(TimeSpan.FromSeconds(1)).SyncAsync(default));
        Assert.DoesNotContain(Directory.GetDirectories("/proc").Select(d => Path.Combine(d, "cmdline")), f =>
        {
            try { return File.Exists(f) && File.ReadAllText(f).Contains(marker, StringComparison.Ordinal) && !Scripts.IsDead(int.Parse(Path.GetFileName(Path.GetDirectoryName(f)!), System.Globalization.CultureInfo.InvariantCulture)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return false; }
        });
    }

    [Fact]
    public async Task Disabled_sync_does_nothing()
    {
        Commit(_upstream, "second.txt");
        Git(_upstream, "push", "-q", "origin", "HEAD:main");
        Assert.Equal("skipped", await Sync(enabled: false).SyncAsync(default));
        Assert.False(File.Exists(Path.Combine(_clone, "second.txt")));
    }

    [Fact]
    public async Task Configured_path_that_is_not_a_repository_fails_without_throwing()
    {
        var sync = new GitSync(new AgentFactoryOptions { GitSyncEnabled = true, GitSyncPath = _dir.File("nothing-here") }, TestProcesses.Git(), NullLogger<GitSync>.Instance);
        Assert.Equal("failed", await sync.SyncAsync(default));
    }
}
