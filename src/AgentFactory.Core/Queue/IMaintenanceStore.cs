namespace AgentFactory.Queue;

/// <summary>The chores: schema, rescue of expired leases, heartbeats, retention, and one-instance-at-a-time work.</summary>
public interface IMaintenanceStore
{
    /// <summary>Applies pending schema migrations; safe to call from several instances at once.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>
    /// Running jobs whose lease expired (their worker died) go back to pending for another attempt,
    /// or to failed when they used their last one. Returns how many were rescued.
    /// </summary>
    Task<int> RescueExpiredAsync(CancellationToken ct);

    /// <summary>Upserts this instance's heartbeat row in webhook_events (one row per instance).</summary>
    Task RecordHeartbeatAsync(string instance, string detailsJson, CancellationToken ct);

    /// <summary>Deletes this instance's heartbeat row: a clean stop says "stopped" at once instead of ageing for three ticks.</summary>
    Task RemoveHeartbeatAsync(string instance, CancellationToken ct);

    /// <summary>
    /// Deletes heartbeat rows last refreshed before <paramref name="before"/> (instances that died
    /// without a clean stop), independently of the events' retention. Returns how many.
    /// </summary>
    Task<int> PruneHeartbeatsAsync(DateTimeOffset before, CancellationToken ct);

    /// <summary>
    /// Housekeeping: deletes completed and cancelled jobs that finished before <paramref name="completedBefore"/>,
    /// and webhook_events received before <paramref name="eventsBefore"/> that no remaining job references
    /// (heartbeat rows included; <see cref="PruneHeartbeatsAsync"/> removes those much sooner). Failed jobs are kept until someone acts on them.
    /// DateTimeOffset.MinValue keeps everything of that kind. Returns the number of rows deleted.
    /// </summary>
    Task<int> PruneAsync(DateTimeOffset completedBefore, DateTimeOffset eventsBefore, CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="work"/> while holding the lock <paramref name="key"/> across every instance
    /// and process on this database; false (without running it) when another holder has it.
    /// </summary>
    Task<bool> TryRunExclusiveAsync(long key, Func<CancellationToken, Task> work, CancellationToken ct);
}
