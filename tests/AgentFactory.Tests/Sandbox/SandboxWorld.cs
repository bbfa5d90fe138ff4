using System.Collections.Concurrent;
using System.Globalization;
using AgentFactory.Sandbox;
using Microsoft.Extensions.Logging;

namespace AgentFactory.Tests.Sandbox;

/// <summary>
/// A service's file system in miniature, with the secrets issue 12 saw stolen: a data directory (admin
/// token, SQLite database), the service's working directory (.env, routing.json), this job's worktree
/// and another job's. The policy hides all but this job's worktree, as the orchestrator will.
/// </summary>
public sealed class SandboxWorld : IDisposable
{
    public const string Secret = "s3cr3t-token-value";

    // Under /var/tmp, not /tmp: the sandbox's private /tmp would hide a world in /tmp whatever the policy said.
    public string Root { get; } = CreateRoot();

    public SandboxWorld()
    {
        Directory.CreateDirectory(DataDirectory);
        File.WriteAllText(Path.Combine(DataDirectory, "admin-token"), Secret);
        File.WriteAllText(Path.Combine(DataDirectory, "agentfactory.db"), "SQLite format 3\0" + Secret);
        Directory.CreateDirectory(ServiceDirectory);
        File.WriteAllText(Path.Combine(ServiceDirectory, ".env"), $"GITHUB_TOKEN={Secret}\n");
        File.WriteAllText(Path.Combine(ServiceDirectory, "routing.json"), $"{{\"token\":\"{Secret}\"}}");
        Directory.CreateDirectory(Worktree);
        Directory.CreateDirectory(OtherWorktree);
        File.WriteAllText(Path.Combine(OtherWorktree, "deploy.key"), Secret);
    }

    public string DataDirectory => Path.Combine(Root, "data");
    public string ServiceDirectory => Path.Combine(Root, "service");
    public string Worktree => Path.Combine(Root, "data", "worktrees", "job-7");
    public string OtherWorktree => Path.Combine(Root, "data", "worktrees", "job-8");

    public SandboxPolicy Policy(SandboxLimits? limits = null, IReadOnlyList<HostPort>? network = null) => new(
        JobId: 7,
        WritablePaths: [Worktree],
        HiddenPaths: [DataDirectory, ServiceDirectory, OtherWorktree],
        Network: network ?? [],
        Limits: limits ?? SandboxLimits.Default with { WallClock = TimeSpan.FromMinutes(2) });

    /// <summary>A bash script run in the worktree with a small, known environment.</summary>
    public ProcessSpec Script(string script, params string[] args) =>
        new("/bin/bash", ["-c", script, "bash", .. args], Env, Worktree, MaxOutputBytes: 256 * 1024);

    public static Dictionary<string, string> Env => new() { ["PATH"] = "/usr/local/bin:/usr/bin:/bin", ["HOME"] = "/tmp", ["LANG"] = "C.UTF-8" };

    /// <summary>A marker no other process on the machine has in its command line.</summary>
    public static string Marker() => "3000." + Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string CreateRoot()
    {
        var path = Path.Combine("/var/tmp", "af-sandbox-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}

/// <summary>Processes on the host whose command line contains a marker; waits (bounded) for them to be gone.</summary>
public static class HostScan
{
    public static IReadOnlyList<int> With(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(marker, StringComparison.Ordinal) && !Zombie(dir)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    public static async Task<bool> GoneAsync(string marker, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (With(marker).Count == 0) return true;
            await Task.Delay(50);
        }
        return With(marker).Count == 0;
    }

    private static bool Zombie(string dir)
    {
        var stat = File.ReadAllText(Path.Combine(dir, "stat"));
        return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
    }
}

/// <summary>Collects log entries so a test can see what the service logged.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, formatter(state, exception)));
}
