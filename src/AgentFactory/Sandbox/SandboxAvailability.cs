namespace AgentFactory.Sandbox;

/// <summary>
/// Whether the sandbox can run here. <paramref name="Problems"/> stop sandboxed agents from starting;
/// <paramref name="Warnings"/> weaken one guarantee. Every line says what to install or which setting is off.
/// </summary>
/// <param name="CanReachNetwork">False when socat is missing: agents with a <c>network</c> setting cannot run.</param>
public sealed record SandboxCheck(bool CanRun, bool CanReachNetwork, IReadOnlyList<string> Problems, IReadOnlyList<string> Warnings)
{
    /// <summary>One line for doctor and the start-up log.</summary>
    public string Summary => CanRun
        ? "sandbox: available (bubblewrap)" + (CanReachNetwork ? "" : "; no network forwarder") + (Warnings.Count > 0 ? $"; {Warnings.Count} warning(s)" : "")
        : "sandbox: NOT available — " + string.Join(" ", Problems);
}

/// <summary>Checks bubblewrap, user namespaces, socat and the process limit; and words the opt-out for doctor.</summary>
public static class SandboxAvailability
{
    public const string Install = "apt-get install bubblewrap socat";

    /// <summary>What doctor and the start-up log say about an agent the operator opted out (<c>sandbox: false</c>).</summary>
    public static string UnsafeDescription(string agent) =>
        $"UNSAFE: agent '{agent}' runs with sandbox: false — its processes run as the service's own user with the host's file system " +
        "and network: they can read the data directory, the database, .env and any secret the service can read. Remove `sandbox: false` unless this agent runs only code you wrote.";

    public static async Task<SandboxCheck> CheckAsync(SandboxOptions? options = null, CancellationToken ct = default)
    {
        options ??= SandboxOptions.Default;
        var problems = new List<string>();
        var warnings = new List<string>();
        if (!OperatingSystem.IsLinux())
            return new SandboxCheck(false, false, ["The sandbox needs Linux (bubblewrap and user namespaces); run the service on Linux or in its Docker image."], []);

        if (!File.Exists(options.Bwrap)) problems.Add($"bubblewrap is not installed ({options.Bwrap} is missing): {Install}.");
        foreach (var tool in new[] { options.Prlimit, HostProcesses.Setpriv, HostProcesses.Setsid })
            if (!File.Exists(tool)) problems.Add($"{tool} is missing: apt-get install util-linux.");
        var socat = File.Exists(options.Socat);
        if (!socat) warnings.Add($"socat is not installed ({options.Socat} is missing), so agents with a `network` setting cannot start: {Install}.");

        if (problems.Count == 0 && await TryNamespacesAsync(options, ct) is { } failure) problems.Add(Explain(failure));

        if (Environment.IsPrivilegedProcess)
        {
            warnings.Add("The service runs as root: sandboxed processes can read root-only files that are not hidden. Run it as its own user (deploy/systemd/agentfactory.service, the Docker image's USER app).");
            if (!PidsCgroup.Available)
                warnings.Add("As root the kernel does not apply the process limit (RLIMIT_NPROC), and no pids cgroup is writable here: a fork bomb is bounded only by the wall clock. Run the service as its own user.");
        }
        return new SandboxCheck(problems.Count == 0, problems.Count == 0 && socat, problems, warnings);
    }

    /// <summary>Starts the smallest sandbox with the namespaces every job uses; null when it ran.</summary>
    private static async Task<string?> TryNamespacesAsync(SandboxOptions options, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            var result = await new HostProcesses().RunAsync(new ProcessSpec(options.Bwrap,
                ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
                 "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--", "/bin/true"],
                new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, "/", MaxOutputBytes: 4096), timeout.Token);
            return result.ExitCode == 0 ? null : result.Output.Trim();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return "bwrap did not finish within 15 s";
        }
    }

    private static string Explain(string bwrapOutput)
    {
        if (Read("/proc/sys/kernel/unprivileged_userns_clone") == "0")
            return "User namespaces are switched off for unprivileged users (kernel.unprivileged_userns_clone = 0): set it to 1 in /etc/sysctl.d/ and run `sysctl --system`.";
        if (Read("/proc/sys/user/max_user_namespaces") == "0")
            return "User namespaces are switched off (user.max_user_namespaces = 0): set it to e.g. 15000 in /etc/sysctl.d/ and run `sysctl --system`.";
        if (Read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1")
            return "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1): load an AppArmor profile that allows `userns` for /usr/bin/bwrap, or set it to 0; see docs/security.md.";
        return $"bubblewrap could not create its namespaces ({bwrapOutput}). In Docker, run with `--security-opt seccomp=unconfined --security-opt apparmor=unconfined`; under systemd, RestrictNamespaces must allow user, mount, pid, net, ipc, uts and cgroup namespaces; see docs/security.md.";
    }

    private static string? Read(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path).Trim() : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
