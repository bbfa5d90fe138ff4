using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace AgentFactory.Workspace;

/// <summary>
/// A directory only the service user may use (mode 0700), for code the service will run. One that
/// exists already is used only if this user owns it, it is a real directory (not a symbolic link) and
/// no group or other user may write to it: otherwise another local user could have planted or could
/// swap what a job checks out and runs.
/// </summary>
public static partial class PrivateDirectory
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates the directory (0700) or checks the one there; returns what is wrong, or null when it is fit for use.</summary>
    public static string? Ensure(string path)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(path);
                return null;
            }
            if (!Path.Exists(path) && new FileInfo(path).LinkTarget is null) Directory.CreateDirectory(path, Private);
            if (Problem(path) is { } problem) return problem;
            // Group or other may read it (made by hand, or by an older version): ours, so make it private.
            if ((File.GetUnixFileMode(path) & ~Private) != 0) File.SetUnixFileMode(path, Private);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{path} cannot be created or checked: {e.Message}";
        }
    }

    /// <summary>What makes an existing directory unfit, or null.</summary>
    public static string? Problem(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        if (!OperatingSystem.IsLinux())
            return Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null ? WritableProblem(path, File.GetUnixFileMode(path)) : $"{path} is not a directory";
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxMode | StatxUid, buffer) != 0)
            return $"{path} cannot be checked: {Marshal.GetLastPInvokeErrorMessage()}";
        var uid = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(20));
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
        if ((mode & 0xF000) == 0xA000) return $"{path} is a symbolic link; it must be a directory of its own";
        if ((mode & 0xF000) != 0x4000) return $"{path} is not a directory";
        if (uid != GetEuid()) return $"{path} belongs to another user (uid {uid}, this service runs as uid {GetEuid()})";
        return WritableProblem(path, (UnixFileMode)(mode & 0xFFF));
    }

    private static string? WritableProblem(string path, UnixFileMode mode) =>
        (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0
            ? $"{path} may be written by other users (mode {Convert.ToString((int)mode, 8)})"
            : null;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxMode = 0x2;
    private const uint StatxUid = 0x8;

    // statx: the one stat whose struct has the same layout on every Linux architecture
    // (stx_uid at byte 20, stx_mode at byte 28), so no per-architecture struct is needed.
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
