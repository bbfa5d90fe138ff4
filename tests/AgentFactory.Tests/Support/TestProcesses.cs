using AgentFactory.Hosting;
using AgentFactory.Options;
using AgentFactory.Sandbox;
using AgentFactory.Workspace;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentFactory.Tests.Support;

/// <summary>The process seam as a test builds it by hand: this machine's PATH and HOME only, never the developer's other variables.</summary>
public static class TestProcesses
{
    public static HostEnvironment Environment(IReadOnlyDictionary<string, string>? extra = null) => HostEnvironment.Minimal(extra);

    public static ProcessEnvironment ProcessEnvironment(IReadOnlyDictionary<string, string>? extra = null) => new(Environment(extra));

    public static IHostProcesses Host { get; } = new HostProcesses();

    /// <summary>The real sandbox, as the service runs agents (CI installs bubblewrap and socat).</summary>
    public static IAgentProcesses Agents { get; } = new BubblewrapProcesses(new EgressProxy(NullLogger<EgressProxy>.Instance));

    public static SandboxCheck Check { get; } = SandboxAvailability.CheckAsync().GetAwaiter().GetResult();

    public static JobSandbox Sandbox(AgentFactoryOptions options) => new(options, Check, NullLogger<JobSandbox>.Instance);

    public static Git Git() => new(Host, ProcessEnvironment());
}
