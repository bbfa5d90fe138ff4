namespace AgentFactory.Tests.Support;

/// <summary>Executable shell scripts written into a test's directory: the real processes agents run.</summary>
public static class Scripts
{
    public static string Write(TempDir dir, string name, string body)
    {
        var path = dir.File(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>True once the process is gone (or a zombie awaiting its reaper).</summary>
    public static bool IsDead(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return true;
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException) { return true; }
    }

    /// <summary>Waits (bounded) for a file a script writes, and returns its trimmed contents.</summary>
    public static async Task<string> WaitForFileAsync(string path, TimeSpan? within = null)
    {
        using var deadline = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } text) return text;
            await Task.Delay(20, deadline.Token);
        }
    }

    public static async Task WaitUntilDeadAsync(int pid)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!IsDead(pid)) await Task.Delay(20, deadline.Token);
    }
}
