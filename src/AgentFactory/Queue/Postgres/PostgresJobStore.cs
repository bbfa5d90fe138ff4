using System.Data;
using System.Net.Sockets;
using AgentFactory.Jobs;
using Npgsql;
using NpgsqlTypes;
using static AgentFactory.Queue.Postgres.PostgresRows;

namespace AgentFactory.Queue.Postgres;

/// <summary>
/// The shared queue: PostgreSQL (self-hosted or Supabase), safe for many instances at once. Claims
/// use FOR UPDATE SKIP LOCKED in one statement; every write-back is fenced on the lease (id, owner,
/// attempt, running) like the SQLite store; concurrent completions share one statement. New jobs
/// NOTIFY agentfactory_jobs in their transaction (see <see cref="PostgresChangeListener"/>). Times
/// come from the injected TimeProvider, never from the database clock, so both drivers behave alike.
/// Every Npgsql failure leaves this class as a <see cref="StoreUnavailableException"/>.
/// </summary>
public sealed partial class PostgresJobStore : IJobStore, IAsyncDisposable, IDisposable
{
    private const string Driver = "Postgres";

    public const string NotifyChannel = "agentfactory_jobs";

    private readonly NpgsqlDataSource _dataSource;

    private readonly TimeProvider _time;

    private readonly QueueSignal _signal;

    private readonly WriteCoalescer<(JobLease Lease, string? Output), bool> _completions;

    /// <param name="databaseListen">DATABASE_LISTEN: false means a pooler the port does not reveal may be in between, so no prepared statements either.</param>
    public PostgresJobStore(string databaseUrl, TimeProvider time, QueueSignal signal, bool databaseListen = true)
    {
        Settings = PostgresConnectionString.Parse(databaseUrl);
        Settings.ApplicationName ??= "agentfactory";
        PostgresConnectionString.EnableAutoPrepare(databaseUrl, Settings, databaseListen);
        _dataSource = new NpgsqlDataSourceBuilder(Settings.ConnectionString).Build();
        _time = time;
        _signal = signal;
        _completions = new(c => c.Lease.JobId, CompleteBatchAsync);
    }

    /// <summary>The parsed connection settings (the listener opens its own connection from them).</summary>
    public NpgsqlConnectionStringBuilder Settings { get; }

    /// <summary>How many completion statements have run; fewer than completions means they were coalesced.</summary>
    internal long CompletionBatches => _completions.Batches;

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    public void Dispose() => _dataSource.Dispose();

    /// <summary>
    /// Runs on a pooled connection. After a server restart or failover the pool still holds
    /// connections the server closed while they were idle; the first use of one fails before the
    /// statement runs. Then the pool is emptied and the work is tried once more on a fresh
    /// connection, so the first webhook after a restart is not refused. (A retry is harmless even in
    /// the rare case of a link lost during COMMIT: deliveries dedupe and write-backs are fenced.)
    /// </summary>
    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var conn = await _dataSource.OpenConnectionAsync(ct);
                return await work(conn);
            }
            catch (Exception e) when (attempt == 1 && IsDroppedConnection(e) && !ct.IsCancellationRequested)
            {
                _dataSource.Clear();
            }
            catch (Exception e) when (IsStoreFailure(e, ct))
            {
                throw Unavailable(e);
            }
        }
    }

    private static bool IsDroppedConnection(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown,
        NpgsqlException { InnerException: IOException or SocketException } => true,
        _ => false,
    };

    private Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken ct) => RunAsync(async conn =>
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        var result = await work(conn, tx);
        await tx.CommitAsync(ct);
        return result;
    }, ct);

    private static bool IsStoreFailure(Exception e, CancellationToken ct) =>
        e is NpgsqlException or TimeoutException or SocketException
        || (e is OperationCanceledException && !ct.IsCancellationRequested); // a timeout inside Npgsql, not the caller giving up

    /// <summary>
    /// Says what happened, without the connection string. A dropped connection (server restart,
    /// failover) also empties the pool, so the next call opens a fresh connection instead of
    /// finding another dead one.
    /// </summary>
    private StoreUnavailableException Unavailable(Exception e)
    {
        var broken = e is not PostgresException || e is PostgresException { SqlState: var s } && (s.StartsWith("08", StringComparison.Ordinal) || s.StartsWith("57P", StringComparison.Ordinal));
        if (broken) _dataSource.Clear();
        var message = e switch
        {
            PostgresException pg => $"PostgreSQL refused the operation ({pg.SqlState}: {pg.MessageText})",
            NpgsqlException { InnerException: TimeoutException } or TimeoutException or OperationCanceledException => $"PostgreSQL did not answer in time: {e.Message}",
            _ => $"PostgreSQL cannot be reached: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : "")}",
        };
        return new StoreUnavailableException(message, e);
    }

    private static NpgsqlCommand Command(NpgsqlConnection conn, NpgsqlTransaction? tx, string script) =>
        new(SqlScripts.Get(Driver, script), conn, tx);

    private static async Task ExecAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand LeaseCommand(NpgsqlConnection conn, string script, JobLease lease)
    {
        var cmd = Command(conn, null, script);
        cmd.Parameters.Add(P("id", NpgsqlDbType.Bigint, lease.JobId));
        cmd.Parameters.Add(P("owner", NpgsqlDbType.Text, lease.Owner));
        cmd.Parameters.Add(P("attempt", NpgsqlDbType.Integer, lease.Attempt));
        return cmd;
    }

    private static void AddLeases(NpgsqlCommand cmd, IReadOnlyList<JobLease> leases)
    {
        cmd.Parameters.Add(P("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint, leases.Select(l => l.JobId).ToArray()));
        cmd.Parameters.Add(P("owners", NpgsqlDbType.Array | NpgsqlDbType.Text, leases.Select(l => l.Owner).ToArray()));
        cmd.Parameters.Add(P("attempts", NpgsqlDbType.Array | NpgsqlDbType.Integer, leases.Select(l => l.Attempt).ToArray()));
    }
}
