using AgentFactory.Sandbox;

namespace AgentFactory.Processes;

/// <summary>The service's own processes (git, host commands), in their own session, killed with their group.</summary>
public sealed class HostProcessRunner : IHostProcesses
{
    public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken ct) => ProcessRunner.RunAsync(spec, ct);
}

/// <summary>
/// Agent processes without confinement: the process-group kill only. The sandbox replaces this
/// wherever it can run; see docs/security.md.
/// </summary>
public sealed class UnconfinedAgentProcesses : IAgentProcesses
{
    public Task<ProcessResult> RunAsync(ProcessSpec spec, SandboxPolicy policy, CancellationToken ct) => ProcessRunner.RunAsync(spec, ct);
}
