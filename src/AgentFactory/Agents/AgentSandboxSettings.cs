namespace AgentFactory.Agents;

/// <summary>
/// The sandbox settings every agent that starts processes shares (routing file, under the agent):
/// <c>"sandbox": false</c> opts it out (unsafe, flagged at start and by doctor), <c>"network"</c> lists
/// the host:port pairs its processes may reach through the egress proxy, <c>"writablePaths"</c> what
/// they may write besides their own workspace, and <c>"limits"</c> overrides the resource limits.
/// </summary>
public class AgentSandboxSettings
{
    public bool Sandbox { get; set; } = true;

    /// <summary>"host:port" pairs, e.g. "registry.npmjs.org:443". Empty: no network at all.</summary>
    public List<string> Network { get; set; } = [];

    /// <summary>Absolute paths the processes may write besides their workspace (a deploy target such as /srv/www).</summary>
    public List<string> WritablePaths { get; set; } = [];

    public SandboxLimitSettings Limits { get; set; } = new();
}

/// <summary>Resource limits of one agent's processes; each unset value keeps the default (docs/security.md).</summary>
public sealed class SandboxLimitSettings
{
    public int? MemoryMb { get; set; }
    public int? Processes { get; set; }
    public int? FileSizeMb { get; set; }
    public int? CpuSeconds { get; set; }
    public int? WallClockSeconds { get; set; }
}
