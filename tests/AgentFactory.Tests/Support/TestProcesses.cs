using AgentFactory.Hosting;
using AgentFactory.Processes;
using AgentFactory.Sandbox;
using AgentFactory.Workspace;

namespace AgentFactory.Tests.Support;

/// <summary>The process seam as a test builds it by hand: this machine's PATH and HOME only, never the developer's other variables.</summary>
public static class TestProcesses
{
    public static HostEnvironment Environment(IReadOnlyDictionary<string, string>? extra = null) => HostEnvironment.Minimal(extra);

    public static ProcessEnvironment ProcessEnvironment(IReadOnlyDictionary<string, string>? extra = null) => new(Environment(extra));

    public static IHostProcesses Host { get; } = new HostProcessRunner();

    public static IAgentProcesses Agents { get; } = new UnconfinedAgentProcesses();

    public static Git Git() => new(Host, ProcessEnvironment());
}
