namespace AgentFactory.Sandbox;

/// <summary>
/// What one sandboxed agent process may see and reach. Everything not granted here is absent: the
/// file system is read-only except <see cref="WritablePaths"/> and a private /tmp, /proc shows only the
/// sandbox's own processes, the environment is exactly the spec's, and the network is a fresh namespace
/// whose only way out is the service's egress proxy, which admits <see cref="Network"/> alone.
/// </summary>
/// <param name="JobId">The job the process works for: the proxy names it when it refuses a connection.</param>
/// <param name="WritablePaths">Absolute paths bound read-write (the job's own worktree).</param>
/// <param name="HiddenPaths">Absolute paths made empty inside: a directory becomes an empty read-only one, a file an empty one (the data directory, the service's working directory, other worktrees). Missing paths are skipped.</param>
/// <param name="Network">host:port pairs reachable through the egress proxy; empty means no network at all.</param>
/// <param name="Enabled">False only when the operator opted this agent out (<c>sandbox: false</c>); flagged as unsafe.</param>
public sealed record SandboxPolicy(
    long JobId,
    IReadOnlyList<string> WritablePaths,
    IReadOnlyList<string> HiddenPaths,
    IReadOnlyList<HostPort> Network,
    SandboxLimits Limits,
    bool Enabled = true)
{
    /// <summary>The default confinement for one job: only <paramref name="writable"/> may be written, no network.</summary>
    public static SandboxPolicy ForJob(long jobId, params string[] writable) => new(jobId, writable, [], [], SandboxLimits.Default);
}

/// <summary>One allowlisted destination, e.g. registry.npmjs.org:443.</summary>
public sealed record HostPort(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port}";

    /// <summary>Parses "host:port"; null when it is not of that form.</summary>
    public static HostPort? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) return null;
        var host = text[..colon].Trim().ToLowerInvariant();
        if (!int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535) return null;
        if (host.Length is 0 or > 253 || host.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-'))) return null;
        return new HostPort(host, port);
    }
}

/// <summary>Resource limits of one sandboxed process tree. Each has a default; agents may set their own.</summary>
public sealed record SandboxLimits(long MemoryBytes, int Processes, long FileSizeBytes, TimeSpan CpuTime, TimeSpan WallClock)
{
    public static SandboxLimits Default { get; } = new(
        MemoryBytes: 2L * 1024 * 1024 * 1024,
        Processes: 256,
        FileSizeBytes: 1L * 1024 * 1024 * 1024,
        CpuTime: TimeSpan.FromMinutes(30),
        WallClock: TimeSpan.FromMinutes(30));
}
