namespace AgentFactory.Sandbox;

/// <summary>
/// The one place that starts every process an agent runs (command and deploy scripts, the coding
/// agent's shell and tests, coding CLIs), confined by its <see cref="SandboxPolicy"/>. The whole process
/// tree ends when the call returns, on cancellation, on a limit, and when the service dies.
/// </summary>
public interface IAgentProcesses
{
    /// <summary>Runs to completion. Cancelling <paramref name="ct"/> kills the tree and throws.</summary>
    Task<ProcessResult> RunAsync(ProcessSpec spec, SandboxPolicy policy, CancellationToken ct);
}

/// <summary>
/// The service's own processes (git in its mirrors, host commands): trusted programs with trusted
/// arguments, unsandboxed but with the same small environment and the same kill-on-exit guarantees.
/// </summary>
public interface IHostProcesses
{
    Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken ct);
}
