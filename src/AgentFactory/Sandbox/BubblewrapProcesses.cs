using System.Diagnostics;

namespace AgentFactory.Sandbox;

/// <summary>
/// Runs every agent process inside bubblewrap, confined by its <see cref="SandboxPolicy"/>: the host's
/// root read-only, writable only the policy's paths and a size-bounded private /tmp, hidden paths
/// replaced by empty ones, a private /proc, exactly the spec's environment, a fresh network namespace
/// whose only way out is the <see cref="EgressProxy"/>, and resource limits. The whole tree dies when
/// the program exits, on the wall clock, on cancellation and with the service.
/// </summary>
/// <remarks>
/// Process limit: RLIMIT_NPROC set inside the sandbox's user namespace (a per-sandbox count). The kernel
/// exempts real root from it, so a service running as root also puts each sandbox into its own pids
/// cgroup where one is writable (<see cref="PidsCgroup"/>); <see cref="SandboxAvailability"/> warns when
/// neither holds. A policy with <see cref="SandboxPolicy.Enabled"/> false (the operator's
/// <c>sandbox: false</c>) runs unconfined apart from the limits, the environment and the kill guarantees.
/// </remarks>
public sealed class BubblewrapProcesses(EgressProxy? egress = null, SandboxOptions? options = null, TimeProvider? time = null) : IAgentProcesses
{
    private static readonly Dictionary<string, string> BwrapEnvironment = new() { ["PATH"] = "/usr/bin:/bin" };

    private readonly SandboxOptions _options = options ?? SandboxOptions.Default;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<ProcessResult> RunAsync(ProcessSpec spec, SandboxPolicy policy, CancellationToken ct)
    {
        var program = ProgramPath.Resolve(spec);
        if (!policy.Enabled) return await RunUnconfinedAsync(spec, program, policy.Limits, ct);
        if (!File.Exists(_options.Bwrap))
            throw new InvalidOperationException($"The sandbox needs bubblewrap ({_options.Bwrap} is missing): {SandboxAvailability.Install}.");
        if (policy.Network.Count > 0 && egress is null)
            throw new InvalidOperationException($"Job {policy.JobId} lists network destinations but the service has no egress proxy: the sandbox cannot reach them.");
        if (policy.Network.Count > 0 && !File.Exists(_options.Socat))
            throw new InvalidOperationException($"The agent's `network` setting needs socat inside the sandbox ({_options.Socat} is missing): {SandboxAvailability.Install}.");

        await using var lease = policy.Network.Count > 0 ? egress!.Open(policy.JobId, policy.Network) : null;
        using var cgroup = Environment.IsPrivilegedProcess ? PidsCgroup.TryCreate(policy.Limits.Processes) : null;
        var args = BubblewrapArguments.Build(spec, program, policy, _options, lease?.Directory);
        var launch = cgroup is null
            ? new Launch(_options.Bwrap, args, BwrapEnvironment, "/", spec.Stdin, spec.MaxOutputBytes, spec.OnStdoutLine)
            // Joins the cgroup before becoming bwrap, so every process of the sandbox is counted from the start.
            : new Launch("/bin/sh", ["-c", "echo $$ > \"$0\" && exec \"$@\"", cgroup.ProcsFile, _options.Bwrap, .. args],
                BwrapEnvironment, "/", spec.Stdin, spec.MaxOutputBytes, spec.OnStdoutLine);

        // SIGKILL to bwrap: its child (the sandbox's pid 1) gets SIGKILL through --die-with-parent, and the
        // kernel then kills every process in the sandbox's pid namespace, double-forked or not.
        var outcome = await ProcessLauncher.RunAsync(launch, KillBwrap, policy.Limits.WallClock, _time, ct);
        return new ProcessResult(outcome.ExitCode, outcome.Output, outcome.OutputBytes, LimitOf(outcome, cgroup?.LimitHit() == true));
    }

    /// <summary>The operator's opt-out: no namespaces, but the same environment, limits (all but the process count, which is per user outside a namespace) and kill guarantees.</summary>
    private async Task<ProcessResult> RunUnconfinedAsync(ProcessSpec spec, string program, SandboxLimits limits, CancellationToken ct)
    {
        var cpu = (long)Math.Ceiling(limits.CpuTime.TotalSeconds);
        var launch = new Launch(HostProcesses.Setpriv,
            ["--pdeathsig", "KILL", "--", HostProcesses.Setsid, "--", _options.Prlimit, $"--data={limits.MemoryBytes}", $"--fsize={limits.FileSizeBytes}",
             $"--cpu={cpu}:{cpu + 5}", "--core=0", "--", program, .. spec.Arguments],
            spec.Environment, spec.WorkingDirectory, spec.Stdin, spec.MaxOutputBytes, spec.OnStdoutLine);
        var outcome = await ProcessLauncher.RunAsync(launch, p => ProcessLauncher.Signal(-p.Id, ProcessLauncher.SigKill), limits.WallClock, _time, ct);
        return new ProcessResult(outcome.ExitCode, outcome.Output, outcome.OutputBytes, LimitOf(outcome, false));
    }

    private static void KillBwrap(Process bwrap) => ProcessLauncher.Signal(bwrap.Id, ProcessLauncher.SigKill);

    /// <summary>
    /// Which limit ended the process, in the words a user configures them by. Wall clock, CPU time (SIGXCPU)
    /// and file size (SIGXFSZ) are certain; memory, processes and /tmp space end a process through a failed
    /// call the program reports itself, so those are read from its failing exit and its last words.
    /// </summary>
    internal static string? LimitOf(LaunchOutcome outcome, bool processLimitHit)
    {
        if (outcome.TimedOut) return "wall clock";
        if (outcome.ExitCode == 128 + 24) return "CPU time";
        if (outcome.ExitCode == 128 + 25) return "file size";
        if (outcome.ExitCode == 0) return null;
        if (processLimitHit) return "processes";
        var tail = outcome.Output.Length > 4096 ? outcome.Output[^4096..] : outcome.Output;
        bool Says(string s) => tail.Contains(s, StringComparison.OrdinalIgnoreCase);
        if (Says("Cannot allocate memory") || Says("MemoryError") || Says("out of memory") || Says("xmalloc") || Says("xrealloc") || Says("bad_alloc"))
            return "memory";
        if (Says("fork: retry") || Says("fork: Resource temporarily unavailable") || Says("Cannot fork") || Says("can't fork"))
            return "processes";
        if (Says("No space left on device")) return "temporary space";
        return null;
    }
}
