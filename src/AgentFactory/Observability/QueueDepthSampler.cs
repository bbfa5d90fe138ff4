using AgentFactory.Queue;

namespace AgentFactory.Observability;

/// <summary>Reads the queue depth every 15 s for the agentfactory.queue.depth gauge (a scrape never waits on the database).</summary>
public sealed class QueueDepthSampler(IOperatorViews store, AgentFactoryMetrics metrics, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15), time);
        try
        {
            do
            {
                try { metrics.QueueDepth(await store.CountJobsByStatusAsync(stoppingToken)); }
                catch (StoreUnavailableException) { /* /health reports it; the gauge keeps its last value */ }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) { }
    }
}
