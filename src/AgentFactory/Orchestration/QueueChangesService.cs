using AgentFactory.Queue;

namespace AgentFactory.Orchestration;

/// <summary>Runs the store's change feed (LISTEN/NOTIFY or data_version) for as long as the orchestrator runs.</summary>
public sealed class QueueChangesService(IQueueChanges changes) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => changes.WatchAsync(stoppingToken);
}
