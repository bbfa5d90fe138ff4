using System.Globalization;

namespace AgentFactory.Sandbox;

/// <summary>
/// The bwrap command line for one sandboxed process. Kept apart from running it so that each confinement
/// rule is one readable line here, and the order of mounts (which bwrap applies as given) is decided in one place.
/// </summary>
internal static class BubblewrapArguments
{
    /// <summary>Where the job's egress socket directory appears inside the sandbox.</summary>
    public const string EgressMount = "/run/agentfactory-egress";

    public const string EgressSocketName = "egress.sock";

    /// <param name="program">The resolved program path (the host's and the sandbox's file system agree on it: the root is the host's, read-only).</param>
    /// <param name="egressDirectory">The host directory holding the job's egress socket, or null for no network.</param>
    public static List<string> Build(ProcessSpec spec, string program, SandboxPolicy policy, SandboxOptions options, string? egressDirectory)
    {
        var args = new List<string>
        {
            // Fresh user, mount, pid, network, ipc, uts and cgroup namespaces: a private /proc, no network
            // but loopback, and no capability over anything outside. Nested user namespaces are refused.
            "--unshare-all", "--unshare-user", "--disable-userns",
            // The sandbox dies with bwrap and bwrap with its parent (the service); a new session blocks
            // TIOCSTI keystroke injection into a terminal the service might hold.
            "--die-with-parent", "--new-session",
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--perms", "1777", "--size", Bytes(options.TmpBytes), "--tmpfs", "/tmp",
            "--perms", "1777", "--size", Bytes(options.ShmBytes), "--tmpfs", "/dev/shm",
            // /run holds host sockets (database, docker, dbus): a read-only bind does not stop connect().
            "--size", Bytes(1024 * 1024), "--tmpfs", "/run",
        };

        var hidden = options.AlwaysHidden.Concat(policy.HiddenPaths).Select(p => Absolute(p, "hidden")).Where(Exists).ToList();
        if (Directory.Exists("/var/run") && !IsLink("/var/run")) hidden.Add("/var/run");
        var writable = policy.WritablePaths.Select(p => Absolute(p, "writable")).ToList();
        foreach (var w in writable)
        {
            if (w == "/") throw new InvalidOperationException("The sandbox's writable paths may not include '/': name the job's own worktree.");
            if (!Directory.Exists(w) && !File.Exists(w)) throw new InvalidOperationException($"The sandbox's writable path '{w}' does not exist: create it before running the process.");
        }

        // Parents before children, whatever their kind: a worktree inside a hidden data directory stays
        // visible (bound on top of the empty tmpfs), and a hidden file inside a worktree stays hidden.
        var mounts = hidden.Select(p => (Path: p, Hide: true)).Concat(writable.Select(p => (Path: p, Hide: false)))
            .OrderBy(m => m.Path.Count(c => c == '/')).ThenBy(m => m.Path.Length).ThenByDescending(m => m.Hide);
        var hiddenDirectories = new List<string>();
        foreach (var (path, hide) in mounts)
        {
            if (!hide) args.AddRange(["--bind", path, path]);
            else if (Directory.Exists(path))
            {
                args.AddRange(["--size", "4096", "--tmpfs", path]);
                hiddenDirectories.Add(path);
            }
            else args.AddRange(["--ro-bind", "/dev/null", path]);
        }
        if (egressDirectory is not null) args.AddRange(["--ro-bind", egressDirectory, EgressMount]);
        // The empty directories stay empty: nothing can be parked in them (and no memory filled).
        foreach (var path in hiddenDirectories.Append("/run")) args.AddRange(["--remount-ro", path]);

        args.Add("--clearenv");
        foreach (var (name, value) in Environment(spec, options, egressDirectory is not null))
            args.AddRange(["--setenv", name, value]);
        args.AddRange(["--chdir", spec.WorkingDirectory is { Length: > 0 } cwd ? Absolute(cwd, "working") : writable.FirstOrDefault() ?? "/tmp"]);

        args.Add("--");
        args.AddRange(Limits(policy.Limits, options));
        if (egressDirectory is not null)
            args.AddRange(["/bin/sh", "-c", Forwarder, "sh", options.Socat, options.ProxyPort.ToString(CultureInfo.InvariantCulture), $"{EgressMount}/{EgressSocketName}"]);
        args.Add(program);
        args.AddRange(spec.Arguments);
        return args;
    }

    /// <summary>
    /// prlimit runs inside the sandbox's user namespace, so the process count is this sandbox's own
    /// (the kernel counts RLIMIT_NPROC per user namespace since 5.14), not every process of the service's user.
    /// </summary>
    private static IEnumerable<string> Limits(SandboxLimits limits, SandboxOptions options)
    {
        var cpu = (long)Math.Ceiling(limits.CpuTime.TotalSeconds);
        return
        [
            options.Prlimit,
            // RLIMIT_DATA, not RLIMIT_AS: it counts memory a process can write (heap, anonymous mappings) and
            // not address space merely reserved, which runtimes such as V8 and .NET reserve by the gigabyte.
            $"--data={limits.MemoryBytes}",
            $"--nproc={limits.Processes}",
            $"--fsize={limits.FileSizeBytes}",
            // SIGXCPU at the soft limit (exit 152, reported as "CPU time"); SIGKILL a little later if ignored.
            $"--cpu={cpu}:{cpu + 5}",
            "--core=0",
            "--",
        ];
    }

    private static IEnumerable<(string Name, string Value)> Environment(ProcessSpec spec, SandboxOptions options, bool network)
    {
        foreach (var (name, value) in spec.Environment)
        {
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
                throw new InvalidOperationException($"The environment variable '{name.Replace("\0", "", StringComparison.Ordinal)}' has an invalid name or value: names may not be empty or contain '=' or NUL.");
            yield return (name, value);
        }
        if (!network) yield break;
        var proxy = $"http://127.0.0.1:{options.ProxyPort.ToString(CultureInfo.InvariantCulture)}";
        foreach (var name in (string[])["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) yield return (name, proxy);
    }

    /// <summary>
    /// Starts socat (listening on loopback inside, forwarding to the egress socket), waits until it listens,
    /// then becomes the program. All values arrive as positional parameters: nothing is interpolated.
    /// </summary>
    private const string Forwarder = """
        socat=$1 port=$2 sock=$3; shift 3
        "$socat" TCP-LISTEN:"$port",bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:"$sock" &
        hex=$(printf '%04X' "$port"); n=0
        until grep -q "0100007F:$hex 00000000:0000 0A" /proc/net/tcp; do
          n=$((n+1)); if [ "$n" -gt 5000 ]; then echo 'sandbox: the network forwarder (socat) did not start' >&2; exit 125; fi
          sleep 0.002
        done
        exec "$@"
        """;

    private static string Absolute(string path, string what)
    {
        if (!Path.IsPathFullyQualified(path)) throw new InvalidOperationException($"The sandbox's {what} path '{path}' must be absolute.");
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        return full.Length == 0 ? "/" : full;
    }

    private static bool Exists(string path) => Directory.Exists(path) || File.Exists(path);

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private static string Bytes(long n) => n.ToString(CultureInfo.InvariantCulture);
}
