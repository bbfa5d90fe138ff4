using AgentFactory.Options;
using Npgsql;

namespace AgentFactory.Queue.Postgres;

/// <summary>
/// Wakes this orchestrator within milliseconds when any instance commits new jobs: one LISTEN
/// connection per instance on <see cref="PostgresJobStore.NotifyChannel"/>. When the connection
/// drops it reconnects with backoff and wakes the orchestrator once, since notifications sent
/// meanwhile are lost. Through a transaction-mode pooler LISTEN cannot work; then it only logs a
/// warning and the orchestrator relies on its TICK_INTERVAL_SECONDS poll (and superseded jobs stop at
/// their next lease renewal, a third of JOB_LEASE, instead of at once).
/// </summary>
public sealed partial class PostgresChangeListener(
    PostgresJobStore store,
    QueueSignal signal,
    AgentFactoryOptions options,
    TimeProvider time,
    ILogger<PostgresChangeListener> log) : IQueueChanges
{
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>True while the LISTEN connection is up (for tests and health).</summary>
    public bool Listening { get; private set; }

    public async Task WatchAsync(CancellationToken ct)
    {
        if (PostgresConnectionString.ListenUnavailableReason(options.DatabaseUrl ?? "", store.Settings, options.DatabaseListen) is { } reason)
        {
            LogNoListen(log, reason, options.TickInterval.TotalSeconds);
            return;
        }

        // Its own unpooled connection with keepalives, so a silently dead link is noticed too.
        var settings = new NpgsqlConnectionStringBuilder(store.Settings.ConnectionString) { Pooling = false, KeepAlive = 15 };
        var backoff = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(settings.ConnectionString);
                await conn.OpenAsync(ct);
                conn.Notification += (_, e) =>
                {
                    signal.Notify();
                    // A superseding job cancelled running ones (insert_keyed_job.sql): check this instance's leases now.
                    if (e.Payload == "leases") signal.NotifyLeasesChanged();
                };
                await using (var cmd = new NpgsqlCommand($"LISTEN {PostgresJobStore.NotifyChannel}", conn))
                    await cmd.ExecuteNonQueryAsync(ct);
                signal.Notify(); // whatever was committed while we were not listening
                Listening = true;
                backoff = TimeSpan.Zero;
                LogListening(log, PostgresJobStore.NotifyChannel);
                while (true) await conn.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                Listening = false;
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                LogLost(log, e.Message, backoff.TotalSeconds);
                try { await Task.Delay(backoff, time, ct); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not listening for new jobs ({Reason}): the orchestrator polls every {Tick}s instead. Use the direct connection or the session pooler (port 5432) for instant wake-ups.")]
    private static partial void LogNoListen(ILogger logger, string reason, double tick);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listening for new jobs on channel {Channel}")]
    private static partial void LogListening(ILogger logger, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job notifications lost ({Reason}); reconnecting in {Delay}s, polling meanwhile")]
    private static partial void LogLost(ILogger logger, string reason, double delay);
}
