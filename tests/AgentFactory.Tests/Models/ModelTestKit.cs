using System.Collections.Concurrent;
using AgentFactory.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentFactory.Tests.Models;

/// <summary>Records every model call it is told about.</summary>
public sealed class RecordingObserver : IModelCallObserver
{
    private readonly ConcurrentQueue<ModelCall> _calls = new();

    public IReadOnlyList<ModelCall> Calls => [.. _calls];

    public void Observed(ModelCall call) => _calls.Enqueue(call);
}

/// <summary>The real model layer over the given catalog entries, with short back-offs and its own ledger and observer.</summary>
public sealed class ModelKit : IDisposable
{
    public const string Repository = "octo/widgets";

    public ModelKit(IReadOnlyDictionary<string, ModelEntry> models, IReadOnlyDictionary<string, string>? env = null, LlmSettings? llm = null)
    {
        var catalog = ModelCatalog.Build(models, llm ?? new LlmSettings(), name => env?.GetValueOrDefault(name));
        Clients = new ModelClients(catalog, Ledger, [Observer], Retry, TimeProvider.System, NullLogger<ModelClients>.Instance);
    }

    public static ModelRetryOptions Retry { get; } = new() { BaseDelay = TimeSpan.FromMilliseconds(10), MaxRetryWait = TimeSpan.FromSeconds(5) };

    public InMemoryBudgetLedger Ledger { get; } = new();
    public RecordingObserver Observer { get; } = new();
    public ModelClients Clients { get; }

    public static BudgetScope Scope(BudgetLimits? limits = null, long jobId = 1) => new(jobId, Repository, limits ?? BudgetLimits.None);

    public void Dispose() => Clients.Dispose();
}
