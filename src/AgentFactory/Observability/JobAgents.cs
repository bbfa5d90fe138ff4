using System.Collections.Concurrent;

namespace AgentFactory.Observability;

/// <summary>
/// Which agent runs which job in this process, while it runs: a model call knows its job, and its
/// metrics are counted under the job's agent (never under the job id: that would be a series per job).
/// </summary>
public sealed class JobAgents
{
    private readonly ConcurrentDictionary<long, string> _running = new();

    /// <summary>Marks the job as running on <paramref name="agent"/> until the returned handle is disposed.</summary>
    public IDisposable Track(long jobId, string agent)
    {
        _running[jobId] = agent;
        return new Handle(this, new KeyValuePair<long, string>(jobId, agent));
    }

    /// <summary>The agent running the job here, or null when none is (a call made outside a job).</summary>
    public string? AgentOf(long jobId) => _running.GetValueOrDefault(jobId);

    private sealed class Handle(JobAgents owner, KeyValuePair<long, string> entry) : IDisposable
    {
        public void Dispose() => owner._running.TryRemove(entry);
    }
}
