using System.Diagnostics.CodeAnalysis;
using AgentFactory.Agents;

namespace AgentFactory.Models;

/// <summary>
/// The one place that talks to every model: a <see cref="ModelClient"/> per catalog entry, made
/// once at start-up (no network until the first call), shared by every agent and job.
/// </summary>
public sealed class ModelClients : IDisposable
{
    private readonly Dictionary<string, ModelClient> _clients = new(StringComparer.Ordinal);

    public ModelClients(ModelCatalog catalog, IBudgetLedger ledger, IEnumerable<IModelCallObserver> observers, ModelRetryOptions retry, TimeProvider time, ILogger<ModelClients> log)
    {
        Catalog = catalog;
        var observing = observers.ToList();
        foreach (var spec in catalog.Models)
            _clients[spec.Name] = new ModelClient(spec, catalog.KeyFor(spec.Name), retry, ledger, observing, time, log);
    }

    public ModelCatalog Catalog { get; }

    public IReadOnlyCollection<string> Names => _clients.Keys;

    /// <summary>The model named "default" (from LLM_MODEL or models.default), or null when there is none.</summary>
    public ModelClient? Default => _clients.GetValueOrDefault(ModelCatalog.DefaultName);

    public bool TryGet(string name, [NotNullWhen(true)] out ModelClient? client) => _clients.TryGetValue(name, out client);

    /// <summary>The named model; <see cref="AgentConfigurationException"/> naming the configured ones when there is none (check agent settings with it at start-up).</summary>
    public ModelClient Get(string name) => _clients.TryGetValue(name, out var client) ? client
        : throw new AgentConfigurationException($"No model named '{name}' is configured. Define it under \"models\" in the routing file" +
            (name == ModelCatalog.DefaultName ? " or set LLM_MODEL" : "") +
            $" (configured: {(_clients.Count == 0 ? "none" : string.Join(", ", _clients.Keys))}).");

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
    }
}
