using AgentFactory.Agents;
using AgentFactory.Options;

namespace AgentFactory.Sandbox;

/// <summary>
/// Turns an agent's sandbox settings into the <see cref="SandboxPolicy"/> of each process it starts, and
/// checks them once when the agent is created: a sandboxed agent does not start where the sandbox
/// cannot run, and one the operator opted out is logged as unsafe. What the service must keep from
/// every agent is hidden here, in one place: the data directory (database, secrets, mirrors, other
/// jobs' worktrees), the .env file and the routing file.
/// </summary>
public sealed partial class JobSandbox(AgentFactoryOptions options, SandboxCheck check, ILogger<JobSandbox> log)
{
    public SandboxCheck Check => check;

    /// <summary>What every agent process is kept from.</summary>
    public IReadOnlyList<string> Hidden
    {
        get
        {
            var cwd = Directory.GetCurrentDirectory();
            var list = new List<string> { options.DataDirectory, Path.Combine(cwd, ".env"), Path.Combine(cwd, "routing.json") };
            if (options.RoutingFile is { } routing) list.Add(Path.GetFullPath(routing));
            return list;
        }
    }

    /// <summary>Checks an agent's settings when it is created; throws naming the setting, or what to install.</summary>
    public void Validate(string agent, AgentSandboxSettings settings)
    {
        foreach (var entry in settings.Network)
            if (HostPort.TryParse(entry) is null)
                throw new AgentConfigurationException($"agents.{agent}.network entry '{entry}' is not host:port, e.g. \"registry.npmjs.org:443\".");
        foreach (var path in settings.WritablePaths)
            if (!Path.IsPathRooted(path))
                throw new AgentConfigurationException($"agents.{agent}.writablePaths entry '{path}' must be an absolute path.");
        var l = settings.Limits;
        Range(agent, "memoryMb", l.MemoryMb, 16, 1_048_576);
        Range(agent, "processes", l.Processes, 8, 100_000);
        Range(agent, "fileSizeMb", l.FileSizeMb, 1, 1_048_576);
        Range(agent, "cpuSeconds", l.CpuSeconds, 1, 604_800);
        Range(agent, "wallClockSeconds", l.WallClockSeconds, 1, 604_800);

        if (!settings.Sandbox)
        {
            LogUnsafe(log, SandboxAvailability.UnsafeDescription(agent));
            return;
        }
        if (!check.CanRun)
            throw new AgentConfigurationException($"agents.{agent} runs its processes in the sandbox, which cannot run here: {string.Join(" ", check.Problems)} " +
                $"Or set \"sandbox\": false on agents.{agent} (unsafe: see docs/security.md).");
        if (settings.Network.Count > 0 && !check.CanReachNetwork)
            throw new AgentConfigurationException($"agents.{agent}.network needs the sandbox's network forwarder, which is missing: {SandboxAvailability.Install}.");
    }

    /// <summary>The policy of one process of job <paramref name="jobId"/>: it may write <paramref name="writable"/> and the agent's writablePaths.</summary>
    public SandboxPolicy PolicyFor(long jobId, AgentSandboxSettings settings, params string[] writable)
    {
        var d = SandboxLimits.Default;
        var l = settings.Limits;
        var limits = new SandboxLimits(
            l.MemoryMb is { } m ? m * 1024L * 1024 : d.MemoryBytes,
            l.Processes ?? d.Processes,
            l.FileSizeMb is { } f ? f * 1024L * 1024 : d.FileSizeBytes,
            l.CpuSeconds is { } c ? TimeSpan.FromSeconds(c) : d.CpuTime,
            l.WallClockSeconds is { } w ? TimeSpan.FromSeconds(w) : d.WallClock);
        return new SandboxPolicy(jobId, [.. writable, .. settings.WritablePaths], Hidden,
            [.. settings.Network.Select(HostPort.TryParse).OfType<HostPort>()], limits, settings.Sandbox);
    }

    /// <summary>
    /// A sandboxed process has a private, empty /tmp and no access to the service's home: HOME and TMPDIR
    /// point there, so tools that keep caches or config in HOME work.
    /// </summary>
    public static void Prepare(Dictionary<string, string> environment, SandboxPolicy policy)
    {
        if (!policy.Enabled) return;
        environment["HOME"] = "/tmp";
        environment["TMPDIR"] = "/tmp";
    }

    private static void Range(string agent, string name, int? value, int min, int max)
    {
        if (value is { } v && (v < min || v > max))
            throw new AgentConfigurationException($"agents.{agent}.limits.{name} must be from {min} to {max} (got {v}).");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Description}")]
    private static partial void LogUnsafe(ILogger logger, string description);
}
