using System.Collections.Concurrent;
using System.Text.Json;
using AgentFactory.Agents;

namespace AgentFactory.Tests.Support;

/// <summary>
/// An agent kind "probe" whose behaviour each test supplies; it records every start so tests can
/// wait on the signal instead of sleeping.
/// </summary>
public sealed class ProbeAgentKind(Func<AgentJob, CancellationToken, Task<AgentResult>> run) : IAgentKind
{
    public const string Routing = """
        { "routes": [], "jobs": { "*": { "agent": "probe", "maxAttempts": 3, "timeout": "00:10:00" } }, "agents": { "probe": { "kind": "probe" } } }
        """;

    private readonly ConcurrentQueue<AgentJob> _started = new();
    private readonly SemaphoreSlim _startSignal = new(0);
    private int _running;

    public string Kind => "probe";
    public IReadOnlyCollection<AgentJob> Started => _started;
    public int MaxConcurrent { get; private set; }

    public IAgent Create(string name, JsonElement settings) => new Probe(name, this);

    /// <summary>Waits until <paramref name="count"/> attempts have started in total.</summary>
    public async Task WaitForStartsAsync(int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_started.Count < count) await _startSignal.WaitAsync(deadline.Token);
    }

    private sealed class Probe(string name, ProbeAgentKind kind) : IAgent
    {
        public string Name => name;

        public async Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
        {
            var now = Interlocked.Increment(ref kind._running);
            lock (kind) kind.MaxConcurrent = Math.Max(kind.MaxConcurrent, now);
            kind._started.Enqueue(job);
            kind._startSignal.Release();
            try
            {
                return await kind.Run(job, ct);
            }
            finally
            {
                Interlocked.Decrement(ref kind._running);
            }
        }
    }

    private Task<AgentResult> Run(AgentJob job, CancellationToken ct) => run(job, ct);
}
