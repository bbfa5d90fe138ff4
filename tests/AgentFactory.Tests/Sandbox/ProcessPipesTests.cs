using AgentFactory.Sandbox;

namespace AgentFactory.Tests.Sandbox;

/// <summary>
/// Found by the soak (Faults/SoakTests): every program the service ran (git sync's two git calls per
/// tick, every agent) left its stdout and stderr pipes open in the service until the next garbage
/// collection, because Process.Dispose leaves them to the finalizer: an idle service with git sync at a
/// 1 s tick went from 11 to 175 open pipes between collections. They must be closed when the run returns.
/// </summary>
public sealed class ProcessPipesTests
{
    [Fact]
    public async Task The_pipes_to_a_finished_program_are_closed_when_its_run_returns()
    {
        // The program names its own stdout and stderr (pipe:[inode]); the service must hold neither afterwards.
        var result = await new HostProcesses().RunAsync(
            new ProcessSpec("/bin/sh", ["-c", "readlink /proc/$$/fd/1; readlink /proc/$$/fd/2"], SandboxWorld.Env), CancellationToken.None);
        var pipes = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(2, pipes.Length);
        Assert.All(pipes, p => Assert.StartsWith("pipe:[", p, StringComparison.Ordinal));
        var open = OpenDescriptors();
        Assert.DoesNotContain(pipes[0], open);
        Assert.DoesNotContain(pipes[1], open);
    }

    [Fact]
    public async Task The_pipes_are_closed_when_the_run_is_cancelled_too()
    {
        using var dir = new Support.TempDir();
        var named = dir.File("pipe");
        using var cts = new CancellationTokenSource();
        var run = new HostProcesses().RunAsync(
            new ProcessSpec("/bin/sh", ["-c", "p=$(readlink /proc/$$/fd/1); echo \"$p\" > \"$0.tmp\"; mv \"$0.tmp\" \"$0\"; sleep 30", named], SandboxWorld.Env), cts.Token);
        var pipe = await Support.Scripts.WaitForFileAsync(named);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.StartsWith("pipe:[", pipe, StringComparison.Ordinal);
        Assert.DoesNotContain(pipe, OpenDescriptors());
    }

    private static HashSet<string> OpenDescriptors()
    {
        var targets = new HashSet<string>();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try { if (new FileInfo(fd).LinkTarget is { } target) targets.Add(target); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return targets;
    }
}
