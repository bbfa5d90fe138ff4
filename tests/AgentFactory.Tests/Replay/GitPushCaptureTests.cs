using AgentFactory.Hosting;
using AgentFactory.Replay;
using AgentFactory.Sandbox;
using AgentFactory.Tests.Support;
using AgentFactory.Workspace;

namespace AgentFactory.Tests.Replay;

/// <summary>The service's git during a replay: a push is recorded and answered as a success, never run; every other command runs.</summary>
public sealed class GitPushCaptureTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Attack: an agent pushes a branch (with the option order changed, behind -c) to change the repository during a replay. The remote never sees it.</summary>
    [Fact]
    public async Task A_push_is_captured_with_its_arguments_and_the_remote_is_unchanged_while_other_git_commands_run()
    {
        var origin = GitRepo.InitBare(_dir.File("origin.git"));
        var work = GitRepo.InitWorking(_dir.File("work"));
        work.Commit("First", new Dictionary<string, string?> { ["a.txt"] = "1\n" });
        work.Git("push", "--quiet", origin.Path, "HEAD:refs/heads/main");
        var before = origin.Git("rev-parse", "refs/heads/main").Trim();
        var head = work.Commit("Second", new Dictionary<string, string?> { ["a.txt"] = "2\n" });
        var writes = new CapturedWrites();
        var git = new Git(TestProcesses.Host, new ProcessEnvironment(HostEnvironment.Capture()), writes);

        var push = await git.TryRunAsync(work.Path, ["push", "--quiet", "--end-of-options", origin.Path, "HEAD:refs/heads/main"], default);
        var hidden = await git.TryRunAsync(work.Path, ["-c", "core.quotepath=false", "push", origin.Path, "HEAD:refs/heads/agent-task/issue-1"], default);
        var read = await git.RunAsync(work.Path, ["rev-parse", "HEAD"], default);

        Assert.Equal(0, push.ExitCode);
        Assert.Equal(0, hidden.ExitCode);
        Assert.Equal(head, read.Trim());
        Assert.Equal(before, origin.Git("rev-parse", "refs/heads/main").Trim());
        Assert.DoesNotContain("agent-task/issue-1", origin.Git("branch", "--list"), StringComparison.Ordinal);
        var captured = writes.Take();
        Assert.Equal(["GIT PUSH", "GIT PUSH"], captured.Select(w => w.Method));
        Assert.Contains("HEAD:refs/heads/main", captured[0].Path, StringComparison.Ordinal);
        Assert.Contains("HEAD:refs/heads/agent-task/issue-1", captured[1].Path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("push", "push")]
    [InlineData("-c x=y push", "push")]
    [InlineData("-C dir fetch", "fetch")]
    [InlineData("--no-pager log", "log")]
    public void The_subcommand_is_the_first_argument_that_is_no_option(string args, string expected) =>
        Assert.Equal(expected, Git.Subcommand(args.Split(' ')));
}
