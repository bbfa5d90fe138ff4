using System.Globalization;

namespace AgentFactory.Sandbox;

/// <summary>
/// A per-sandbox pids cgroup, used only when the service runs as root. The kernel exempts real uid 0
/// from RLIMIT_NPROC (even inside a user namespace), so for root the process limit needs the cgroup
/// pids controller: cgroup v1's pids hierarchy, or cgroup v2 where our own cgroup already delegates
/// "pids" to its children (the root of a container's cgroup namespace). The file names the two share
/// (pids.max, pids.events, cgroup.procs) are all this uses. Null where neither is writable.
/// </summary>
internal sealed class PidsCgroup : IDisposable
{
    private static long _counter;
    private static readonly Lazy<string?> Parent = new(FindParent);

    private PidsCgroup(string path) => Path = path;

    /// <summary>The cgroup directory; a process joins it by writing its pid to cgroup.procs.</summary>
    public string Path { get; }

    public string ProcsFile => System.IO.Path.Combine(Path, "cgroup.procs");

    public static bool Available => Parent.Value is not null;

    public static PidsCgroup? TryCreate(int maxProcesses)
    {
        if (Parent.Value is not { } parent) return null;
        var path = System.IO.Path.Combine(parent, $"agentfactory-sandbox-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}");
        try
        {
            Directory.CreateDirectory(path);
            File.WriteAllText(System.IO.Path.Combine(path, "pids.max"), maxProcesses.ToString(CultureInfo.InvariantCulture));
            return new PidsCgroup(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryRemove(path);
            return null;
        }
    }

    /// <summary>True when a fork was refused because the sandbox reached its process limit.</summary>
    public bool LimitHit()
    {
        try
        {
            foreach (var line in File.ReadLines(System.IO.Path.Combine(Path, "pids.events")))
                if (line.StartsWith("max ", StringComparison.Ordinal) && line[4..].Trim() != "0") return true;
        }
        catch (IOException) { }
        return false;
    }

    /// <summary>Kills whatever is left in the cgroup (normally nothing: the sandbox's pid namespace died) and removes it.</summary>
    public void Dispose()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                foreach (var line in File.ReadAllLines(ProcsFile))
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) ProcessLauncher.Signal(pid, ProcessLauncher.SigKill);
                Directory.Delete(Path);
                return;
            }
            catch (DirectoryNotFoundException) { return; }
            catch (IOException) { Thread.Sleep(20); /* killed tasks are still being reaped */ }
        }
    }

    private static void TryRemove(string path)
    {
        try { Directory.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string? FindParent()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess) return null;
        try
        {
            var own = File.ReadAllLines("/proc/self/cgroup").Select(l => l.Split(':', 3)).Where(p => p.Length == 3).ToList();
            foreach (var mount in File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(" - ", 2)).Where(p => p.Length == 2))
            {
                var mountPoint = mount[0].Split(' ')[4];
                var fs = mount[1].Split(' ');
                if (fs[0] == "cgroup" && fs.Length > 2 && fs[2].Split(',').Contains("pids"))
                {
                    var path = own.FirstOrDefault(p => p[1].Split(',').Contains("pids"))?[2];
                    if (path is not null && Usable(Join(mountPoint, path))) return Join(mountPoint, path);
                }
                else if (fs[0] == "cgroup2" && own.FirstOrDefault(p => p[0] == "0" && p[1].Length == 0)?[2] is { } path2)
                {
                    var dir = Join(mountPoint, path2);
                    var control = System.IO.Path.Combine(dir, "cgroup.subtree_control");
                    if (File.Exists(control) && File.ReadAllText(control).Split(' ', '\n').Contains("pids") && Usable(dir)) return dir;
                }
            }
        }
        catch (IOException) { }
        return null;
    }

    private static string Join(string mountPoint, string path) => System.IO.Path.Join(mountPoint, path.TrimStart('/'));

    private static bool Usable(string dir)
    {
        var probe = System.IO.Path.Combine(dir, $"agentfactory-probe-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(probe);
            var ok = File.Exists(System.IO.Path.Combine(probe, "pids.max"));
            Directory.Delete(probe);
            return ok;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { TryRemove(probe); return false; }
    }
}
