using AgentFactory.Models;
using Npgsql;
using NpgsqlTypes;
using static AgentFactory.Queue.Postgres.PostgresRows;

namespace AgentFactory.Queue.Postgres;

/// <summary>
/// IBudgetLedger in the queue database, shared by every instance. Check-and-reserve runs in one
/// transaction holding advisory locks on the job and on the repository's day (always in that order,
/// so two jobs of one repository never deadlock): two instances cannot both spend the last dollar.
/// </summary>
public sealed partial class PostgresJobStore
{
    public async ValueTask<BudgetReservation> ReserveAsync(BudgetScope scope, BudgetCharge worstCase, DateTimeOffset now, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var repository = BudgetRules.RepositoryKey(scope.Repository);
        return await InTransactionAsync(async (conn, tx) =>
        {
            foreach (var key in new[] { $"job:{scope.JobId}", $"repo:{repository}:{day:yyyy-MM-dd}" })
            {
                await using var take = Command(conn, tx, "budget_lock");
                take.Parameters.Add(P("key", NpgsqlDbType.Text, key));
                await take.ExecuteNonQueryAsync(ct);
            }
            var job = await SpendAsync(conn, tx, "budget_job_spend", c => c.Parameters.Add(P("job_id", NpgsqlDbType.Bigint, scope.JobId)), now, ct);
            var repoDay = await SpendAsync(conn, tx, "budget_repository_spend", c =>
            {
                c.Parameters.Add(P("repository", NpgsqlDbType.Text, repository));
                c.Parameters.Add(P("day", NpgsqlDbType.Date, day));
            }, now, ct);
            BudgetRules.Check(scope, worstCase, job, repoDay, day); // throws before anything is written
            var reservation = new BudgetReservation(Guid.NewGuid().ToString("N"), scope, day, worstCase);
            await using var insert = Command(conn, tx, "budget_reserve");
            insert.Parameters.Add(P("id", NpgsqlDbType.Text, reservation.Id));
            insert.Parameters.Add(P("job_id", NpgsqlDbType.Bigint, scope.JobId));
            insert.Parameters.Add(P("repository", NpgsqlDbType.Text, repository));
            insert.Parameters.Add(P("day", NpgsqlDbType.Date, day));
            AddCharge(insert, worstCase);
            insert.Parameters.Add(Time("expires_at", now + BudgetRules.ReservationLifetime));
            await insert.ExecuteNonQueryAsync(ct);
            return reservation;
        }, ct);
    }

    public async ValueTask SettleAsync(BudgetReservation reservation, BudgetCharge used, CancellationToken ct) => await RunAsync(async conn =>
    {
        await using var cmd = Command(conn, null, "budget_settle");
        cmd.Parameters.Add(P("id", NpgsqlDbType.Text, reservation.Id));
        AddCharge(cmd, used);
        return await cmd.ExecuteNonQueryAsync(ct);
    }, ct);

    public async ValueTask<BudgetSpend> JobSpendAsync(long jobId, CancellationToken ct) => await RunAsync(conn =>
        SpendAsync(conn, null, "budget_job_spend", c => c.Parameters.Add(P("job_id", NpgsqlDbType.Bigint, jobId)), _time.GetUtcNow(), ct), ct);

    public async ValueTask<BudgetSpend> RepositorySpendAsync(string repository, DateOnly day, CancellationToken ct) => await RunAsync(conn =>
        SpendAsync(conn, null, "budget_repository_spend", c =>
        {
            c.Parameters.Add(P("repository", NpgsqlDbType.Text, BudgetRules.RepositoryKey(repository)));
            c.Parameters.Add(P("day", NpgsqlDbType.Date, day));
        }, _time.GetUtcNow(), ct), ct);

    private static async Task<BudgetSpend> SpendAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string script, Action<NpgsqlCommand> bind, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = Command(conn, tx, script);
        bind(cmd);
        cmd.Parameters.Add(Time("now", now));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new BudgetSpend((int)r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetDecimal(3));
    }

    private static void AddCharge(NpgsqlCommand cmd, BudgetCharge charge)
    {
        cmd.Parameters.Add(P("input_tokens", NpgsqlDbType.Bigint, charge.InputTokens));
        cmd.Parameters.Add(P("output_tokens", NpgsqlDbType.Bigint, charge.OutputTokens));
        cmd.Parameters.Add(P("usd", NpgsqlDbType.Numeric, charge.Usd ?? 0m));
    }
}
