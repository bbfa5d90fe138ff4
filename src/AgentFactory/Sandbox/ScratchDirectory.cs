namespace AgentFactory.Sandbox;

/// <summary>
/// A job's own empty, private directory under the data directory (data/work/job-N-…, mode 0700): the one
/// place a command agent's processes may write, removed when the attempt ends, also on failure.
/// </summary>
public sealed class ScratchDirectory : IDisposable
{
    private ScratchDirectory(string path) => Path = path;

    public string Path { get; }

    public static ScratchDirectory Create(string dataDirectory, long jobId)
    {
        var root = System.IO.Path.Combine(dataDirectory, "work");
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(root);
        else
        {
            Directory.CreateDirectory(root, mode);
            File.SetUnixFileMode(root, mode);
        }
        var path = System.IO.Path.Combine(root, $"job-{jobId}-{Guid.NewGuid().ToString("N")[..8]}");
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, mode);
        return new ScratchDirectory(path);
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
