namespace AgentFactory.Orchestration;

/// <summary>
/// The orchestrator's parts do nothing until the whole process is up: a `serve` whose port is taken
/// exits before ApplicationStarted, so it claims no job and writes no heartbeat that would say it runs.
/// </summary>
public static class HostStart
{
    /// <summary>True once the host has started; false when it is stopping (or never started) first.</summary>
    public static async Task<bool> WaitAsync(IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        using var started = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStarted, stoppingToken);
        try { await Task.Delay(Timeout.Infinite, started.Token); }
        catch (OperationCanceledException) { }
        return lifetime.ApplicationStarted.IsCancellationRequested && !stoppingToken.IsCancellationRequested;
    }
}
