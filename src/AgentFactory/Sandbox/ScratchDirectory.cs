namespace AgentFactory.Sandbox;

/// <summary>
/// A job's own empty, private directory under the data directory (data/work/job-N-…, mode 0700): the one
/// place a command agent's processes may write, removed when the attempt ends, also on failure.
/// While it exists its attempt holds an exclusive lock on "&lt;path&gt;.lock" (as worktrees do): the
/// kernel drops the lock when the process dies, so <see cref="Sweep"/> at start removes the
/// directories a killed service left and never a live job's of another instance sharing the data directory.
/// </summary>
public sealed class ScratchDirectory : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly FileStream? _claim;

    private ScratchDirectory(string path, FileStream? claim) => (Path, _claim) = (path, claim);

    public string Path { get; }

    public static ScratchDirectory Create(string dataDirectory, long jobId)
    {
        var root = Root(dataDirectory);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(root);
        else
        {
            Directory.CreateDirectory(root, Private);
            File.SetUnixFileMode(root, Private);
        }
        var path = System.IO.Path.Combine(root, $"job-{jobId}-{Guid.NewGuid().ToString("N")[..8]}");
#pragma warning disable CA2000 // owned by the ScratchDirectory returned, or released when the directory cannot be made
        var claim = Claim(path); // a fresh name: held before the directory exists, so a sweep never takes it
#pragma warning restore CA2000
        try
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
            else Directory.CreateDirectory(path, Private);
        }
        catch
        {
            if (claim is not null) Release(path, claim);
            throw;
        }
        return new ScratchDirectory(path, claim);
    }

    /// <summary>Removes the scratch directories no live process holds (left by a killed service); returns how many.</summary>
    public static int Sweep(string dataDirectory)
    {
        var root = Root(dataDirectory);
        if (!Directory.Exists(root)) return 0;
        var removed = 0;
#pragma warning disable CA2000 // each claim is released (disposed) by Release right after
        foreach (var dir in Directory.GetDirectories(root))
        {
            if (Claim(dir) is not { } claim) continue; // a live attempt's
            try
            {
                if (Delete(dir)) removed++;
            }
            finally
            {
                Release(dir, claim);
            }
        }
        foreach (var lockFile in Directory.GetFiles(root, "*.lock"))
        {
            var dir = lockFile[..^".lock".Length];
            if (!Directory.Exists(dir) && Claim(dir) is { } claim) Release(dir, claim);
        }
#pragma warning restore CA2000
        return removed;
    }

    public void Dispose()
    {
        Delete(Path);
        if (_claim is not null) Release(Path, _claim);
    }

    private static string Root(string dataDirectory) => System.IO.Path.Combine(dataDirectory, "work");

    private static bool Delete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>An exclusive lock (flock, through FileShare.None) on "&lt;path&gt;.lock"; null when another process holds it.</summary>
    private static FileStream? Claim(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try { return new FileStream(path + ".lock", options); }
        catch (IOException) { return null; }
    }

    private static void Release(string path, FileStream claim)
    {
        try { File.Delete(path + ".lock"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        claim.Dispose();
    }
}
