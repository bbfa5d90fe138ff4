using AgentFactory.Sandbox;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Sandbox;

/// <summary>
/// Found by the soak (Faults/SoakTests): each SIGKILL of the service left the scratch directory of every
/// command job it was running in data/work, with whatever the agent wrote there, for ever. The start now
/// removes the ones no live process holds, and never a live attempt's (instances may share a data directory).
/// </summary>
public sealed class ScratchDirectoryTests : IDisposable
{
    private readonly TempDir _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public void Scratch_directory_left_by_a_killed_service_is_removed_at_start_while_a_live_attempts_stays()
    {
        using var live = ScratchDirectory.Create(_data.Path, 1);
        File.WriteAllText(Path.Combine(live.Path, "work.txt"), "in progress");
        // What a SIGKILLed service leaves: the directory with the agent's files, its lock file released by the kernel.
        var stale = Path.Combine(_data.Path, "work", "job-7-deadbeef");
        Directory.CreateDirectory(Path.Combine(stale, "sub"));
        File.WriteAllText(Path.Combine(stale, "sub", "half-written.txt"), "x");
        File.WriteAllText(stale + ".lock", "");
        var orphanLock = Path.Combine(_data.Path, "work", "job-8-cafebabe.lock");
        File.WriteAllText(orphanLock, "");

        Assert.Equal(1, ScratchDirectory.Sweep(_data.Path));

        Assert.False(Directory.Exists(stale));
        Assert.False(File.Exists(stale + ".lock"));
        Assert.False(File.Exists(orphanLock));
        Assert.True(File.Exists(Path.Combine(live.Path, "work.txt")), "a live attempt's scratch directory is kept");
        Assert.True(File.Exists(live.Path + ".lock"));
    }

    [Fact]
    public void Scratch_directory_and_its_lock_are_removed_when_the_attempt_ends()
    {
        var scratch = ScratchDirectory.Create(_data.Path, 2);
        File.WriteAllText(Path.Combine(scratch.Path, "out.txt"), "done");

        scratch.Dispose();

        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_data.Path, "work")));
        Assert.Equal(0, ScratchDirectory.Sweep(_data.Path));
    }
}
