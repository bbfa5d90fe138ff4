namespace AgentFactory.Tests.Support;

/// <summary>
/// A fresh directory per test, removed afterwards. Under /var/tmp, not /tmp: an agent's sandbox has a
/// private /tmp, so a script or repository a test keeps in /tmp would be invisible to the agent.
/// </summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = CreateRoot();

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string CreateRoot()
    {
        var path = System.IO.Path.Combine(Directory.Exists("/var/tmp") ? "/var/tmp" : System.IO.Path.GetTempPath(), "af-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }
}
