using System.Diagnostics;

namespace AgentFactory.Sandbox;

/// <summary>
/// The service's own processes (git in its mirrors, host commands): trusted programs, unsandboxed, with
/// exactly the spec's environment. Each runs as <c>setpriv --pdeathsig KILL -- setsid -- program</c>:
/// setsid gives it its own process group, which is killed when it exits, on cancellation and on
/// timeout, so a forked child never outlives the call; setpriv's parent-death signal kills it when the
/// service dies (even by SIGKILL), so a crashed service leaves no git or script running.
/// </summary>
/// <remarks>
/// The parent-death signal reaches the direct child only; what that child forked loses its pipes and the
/// process group is no longer anyone's. That is acceptable for the trusted programs run here — agent
/// work goes through <see cref="BubblewrapProcesses"/>, whose sandbox dies whole.
/// </remarks>
public sealed class HostProcesses(TimeProvider? time = null) : IHostProcesses
{
    internal const string Setpriv = "/usr/bin/setpriv";
    internal const string Setsid = "/usr/bin/setsid";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken ct)
    {
        var launch = Prepare(spec, out var ownGroup);
        var outcome = await ProcessLauncher.RunAsync(launch, p => KillTree(p, ownGroup), Timeout.InfiniteTimeSpan, _time, ct);
        return new ProcessResult(outcome.ExitCode, outcome.Output, outcome.OutputBytes);
    }

    /// <summary>The exact argv this class starts for <paramref name="spec"/> (tests prove the parent-death guarantee on it).</summary>
    internal static Launch Prepare(ProcessSpec spec, out bool ownGroup)
    {
        var program = ProgramPath.Resolve(spec);
        ownGroup = OperatingSystem.IsLinux() && File.Exists(Setsid) && File.Exists(Setpriv);
        if (!ownGroup) return new Launch(program, spec.Arguments, spec.Environment, spec.WorkingDirectory, spec.Stdin, spec.MaxOutputBytes, spec.OnStdoutLine);
        return new Launch(Setpriv, ["--pdeathsig", "KILL", "--", Setsid, "--", program, .. spec.Arguments],
            spec.Environment, spec.WorkingDirectory, spec.Stdin, spec.MaxOutputBytes, spec.OnStdoutLine);
    }

    private static void KillTree(Process process, bool ownGroup)
    {
        if (ownGroup) ProcessLauncher.Signal(-process.Id, ProcessLauncher.SigKill);
        else if (!process.HasExited) process.Kill(entireProcessTree: true);
    }
}

/// <summary>Finds a program like a shell would: a path relative to the working directory, or a name on the spec's PATH.</summary>
internal static class ProgramPath
{
    public static string Resolve(ProcessSpec spec)
    {
        if (spec.FileName.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(spec.FileName, spec.WorkingDirectory ?? Directory.GetCurrentDirectory());
            return File.Exists(full) ? full
                : throw new InvalidOperationException($"Could not start '{spec.FileName}': no such file ({full}).");
        }
        var path = spec.Environment.TryGetValue("PATH", out var p) ? p : Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, spec.FileName);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"Could not start '{spec.FileName}': not found on PATH ({path}).");
    }
}
