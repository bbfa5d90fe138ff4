using System.Text.Json;
using AgentFactory.Routing;

namespace AgentFactory.Agents;

/// <summary>
/// The configured agents by name, built once at start-up from the routing file. Every job type's
/// agent must exist here, so a typo fails the start, not the first job.
/// </summary>
public sealed class AgentCatalog
{
    private readonly Dictionary<string, IAgent> _agents = new(StringComparer.Ordinal);

    public AgentCatalog(RoutingConfig routing, IEnumerable<IAgentKind> kinds)
    {
        var byKind = kinds.ToDictionary(k => k.Kind, StringComparer.OrdinalIgnoreCase);
        // Built-in agents usable without a definition: "log", and "cancel" (the /cancel comment command).
        foreach (var builtin in byKind.Values.Where(k => k.Kind is "log" or "cancel"))
            _agents[builtin.Kind] = builtin.Create(builtin.Kind, default);

        foreach (var (name, settings) in routing.Agents)
        {
            if (settings.ValueKind != JsonValueKind.Object || !settings.TryGetProperty("kind", out var kindElement) || kindElement.ValueKind != JsonValueKind.String)
                throw new AgentConfigurationException($"agents.{name} needs a \"kind\" (one of: {string.Join(", ", byKind.Keys)}).");
            var kind = kindElement.GetString()!;
            if (!byKind.TryGetValue(kind, out var factory))
                throw new AgentConfigurationException($"agents.{name}.kind is '{kind}', which is not a known agent kind (known: {string.Join(", ", byKind.Keys)}).");
            _agents[name] = factory.Create(name, settings);
        }

        foreach (var (jobType, job) in routing.Jobs)
        {
            if (!_agents.ContainsKey(job.Agent))
                throw new AgentConfigurationException($"jobs.{jobType}.agent is '{job.Agent}', but no agent has that name. Define it under \"agents\" or use one of: {string.Join(", ", _agents.Keys)}.");
        }
    }

    public IReadOnlyCollection<string> Names => _agents.Keys;

    public IAgent Get(string name) => _agents.TryGetValue(name, out var agent)
        ? agent
        : throw new PermanentAgentException($"No agent named '{name}' is configured.");
}
