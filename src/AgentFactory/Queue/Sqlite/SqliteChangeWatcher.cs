using Microsoft.Data.Sqlite;

namespace AgentFactory.Queue.Sqlite;

/// <summary>
/// Wakes the orchestrator when another process (a separate `webhook` process, `agentfactory trigger`,
/// `jobs retry`) commits to the SQLite file: PRAGMA data_version changes on every foreign commit and
/// costs almost nothing to read. In-process enqueues use the signal directly.
/// </summary>
public sealed class SqliteChangeWatcher(SqliteJobStore store, QueueSignal signal, TimeProvider time) : IQueueChanges
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    public async Task WatchAsync(CancellationToken ct)
    {
        SqliteConnection? conn = null;
        long last = -1;
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
#pragma warning disable CA2000 // kept open across polls and disposed when the loop ends
                    conn ??= store.OpenConnection();
#pragma warning restore CA2000
                    var version = await store.DataVersionAsync(conn, ct);
                    if (last != -1 && version != last) signal.Notify();
                    last = version;
                }
                catch (SqliteException)
                {
                    conn?.Dispose();
                    conn = null;
                }
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            conn?.Dispose();
        }
    }
}
