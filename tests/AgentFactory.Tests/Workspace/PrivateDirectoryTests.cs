using System.Diagnostics;
using AgentFactory.Hosting;
using AgentFactory.Tests.Support;
using AgentFactory.Workspace;

namespace AgentFactory.Tests.Workspace;

/// <summary>
/// Issue 10, item 12: the directories agents check code out into must be the service user's alone.
/// Attack: another local user creates the directory first (world-writable, a link to theirs, or owned
/// by them) and swaps the script a job is about to run.
/// </summary>
public sealed class PrivateDirectoryTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_new_directory_is_created_mode_0700_and_a_readable_one_of_ours_is_made_private()
    {
        var fresh = _dir.File("fresh");
        Assert.Null(PrivateDirectory.Ensure(fresh));
        Assert.Equal(Private, File.GetUnixFileMode(fresh));

        var readable = Directory.CreateDirectory(_dir.File("readable")).FullName;
        File.SetUnixFileMode(readable, Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Assert.Null(PrivateDirectory.Ensure(readable));
        Assert.Equal(Private, File.GetUnixFileMode(readable));
    }

    [Fact]
    public void A_world_writable_directory_is_refused()
    {
        var shared = Directory.CreateDirectory(_dir.File("shared")).FullName;
        File.SetUnixFileMode(shared, Private | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        Assert.Contains("may be written by other users (mode 777)", PrivateDirectory.Ensure(shared), StringComparison.Ordinal);
    }

    [Fact]
    public void A_symbolic_link_to_someone_elses_directory_is_refused()
    {
        var theirs = Directory.CreateDirectory(_dir.File("theirs")).FullName;
        var link = _dir.File("worktrees");
        File.CreateSymbolicLink(link, theirs);
        Assert.Contains("is a symbolic link", PrivateDirectory.Ensure(link), StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_another_user_owns_is_refused()
    {
        // As root: a directory given to nobody (uid 65534). Otherwise: /usr, which root owns.
        var path = "/usr";
        if (Environment.UserName == "root")
        {
            path = Directory.CreateDirectory(_dir.File("nobodys")).FullName;
            using var chown = Process.Start("chown", ["65534", path]);
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }
        Assert.Contains("belongs to another user", PrivateDirectory.Problem(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_refuses_to_start_with_a_worktree_directory_others_may_write_and_names_it_and_the_setting()
    {
        var data = _dir.File("data");
        var worktrees = Directory.CreateDirectory(Path.Combine(data, "worktrees")).FullName;
        File.SetUnixFileMode(worktrees, Private | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);

        var e = await Assert.ThrowsAsync<SettingsException>(() => TestService.StartAsync(configure: o => o.DataDirectory = data));

        Assert.Contains($"{worktrees} may be written by other users", e.Message, StringComparison.Ordinal);
        Assert.Contains("AGENTFACTORY_DATA_DIR", e.Message, StringComparison.Ordinal);
    }
}
