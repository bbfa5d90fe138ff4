using AgentFactory.Dashboard;
using AgentFactory.Options;
using AgentFactory.Routing;

namespace AgentFactory.Hosting;

/// <summary>
/// Everything one process is configured with, loaded once at start-up from one <see cref="HostEnvironment"/>:
/// the service's options, the routing file, the integrations and (for a role that serves it) the admin
/// surface. Nothing reads the environment after this.
/// </summary>
public sealed class ServiceSettings
{
    public required AgentFactoryOptions Options { get; init; }
    public RoutingConfig Routing { get; init; } = new();

    /// <summary>Where the routing came from, for the start-up banner.</summary>
    public string RoutingSource { get; init; } = "built-in defaults";

    public IntegrationSettings Integrations { get; init; } = IntegrationSettings.None;

    /// <summary>Null leaves the admin surface out (a lone orchestrator, `migrate`).</summary>
    public DashboardSettings? Dashboard { get; init; }

    /// <summary>What child processes may inherit from (through <see cref="Sandbox.ProcessEnvironment"/>).</summary>
    public HostEnvironment Environment { get; init; } = HostEnvironment.Minimal();

    /// <summary>.env from the working directory, then the process environment, read once.</summary>
    public static HostEnvironment ReadEnvironment()
    {
        DotEnv.Load(Path.Combine(Directory.GetCurrentDirectory(), ".env"));
        return HostEnvironment.Capture();
    }

    /// <summary>Options, routing and integrations (and the admin surface when asked), every problem reported together.</summary>
    public static ServiceSettings Load(HostEnvironment env, bool createSecrets, bool dashboard = false)
    {
        var problems = new List<string>();
        AgentFactoryOptions? options = null;
        IntegrationSettings? integrations = null;
        try { options = SettingsLoader.Load(env.Reader, createSecrets); }
        catch (SettingsException e) { problems.Add(e.Message); }
        try { integrations = IntegrationSettings.Load(env.Reader); }
        catch (SettingsException e) { problems.Add(e.Message); }
        if (problems.Count > 0) throw new SettingsException(string.Join(System.Environment.NewLine, problems));

        var (routing, source) = RoutingLoader.Load(options!.RoutingFile);
        return new ServiceSettings
        {
            Options = options,
            Routing = routing,
            RoutingSource = source,
            Integrations = integrations!,
            Dashboard = dashboard ? DashboardSettingsLoader.Load(env.Reader, options.DataDirectory, createToken: true) : null,
            Environment = env,
        };
    }
}
