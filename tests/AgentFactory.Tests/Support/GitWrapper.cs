using AgentFactory.Hosting;

namespace AgentFactory.Tests.Support;

/// <summary>
/// A `git` first on PATH that records the argument list of every git the service runs, and (through
/// GIT_TRACE) of every program git runs in turn (git-remote-http and the like): what `ps` would show
/// another local user.
/// </summary>
public sealed class GitWrapper
{
    private readonly string _argv;
    private readonly string _trace;

    public GitWrapper(TempDir dir)
    {
        var bin = Directory.CreateDirectory(dir.File("wrapper-bin")).FullName;
        _argv = dir.File("git-argv.log");
        _trace = dir.File("git-trace.log");
        var real = Tools.Find("git") ?? throw new InvalidOperationException("git is not on PATH");
        var script = System.IO.Path.Combine(bin, "git");
        File.WriteAllText(script, $"#!/bin/sh\nprintf '%s\\n' \"git $*\" >> '{_argv}'\nGIT_TRACE='{_trace}' exec '{real}' \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Path = bin + ":" + (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");
    }

    /// <summary>PATH with the wrapper first.</summary>
    public string Path { get; }

    public HostEnvironment Environment() => HostEnvironment.Minimal(new Dictionary<string, string> { ["PATH"] = Path });

    /// <summary>Every argument list recorded: the wrapper's own and, from the trace, each program git started.</summary>
    public string Recorded() =>
        (File.Exists(_argv) ? File.ReadAllText(_argv) : "") + (File.Exists(_trace) ? File.ReadAllText(_trace) : "");

    /// <summary>True once git started a remote helper (so the trace really covers the transport's argv).</summary>
    public bool SawRemoteHelper() => Recorded().Contains("remote-http", StringComparison.Ordinal);
}
