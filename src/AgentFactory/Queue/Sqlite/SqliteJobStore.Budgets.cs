using AgentFactory.Models;
using Microsoft.Data.Sqlite;

namespace AgentFactory.Queue.Sqlite;

/// <summary>
/// IBudgetLedger in the SQLite file: check-and-reserve runs in one write transaction (BEGIN IMMEDIATE),
/// which every process on the file takes in turn, so no two of them spend the last dollar.
/// </summary>
public sealed partial class SqliteJobStore
{
    public async ValueTask<BudgetReservation> ReserveAsync(BudgetScope scope, BudgetCharge worstCase, DateTimeOffset now, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var repository = BudgetRules.RepositoryKey(scope.Repository);
        return await WriteAsync(async (conn, tx) =>
        {
            var job = await SpendAsync(conn, tx, "budget_job_spend", c => c.Parameters.AddWithValue("@job_id", scope.JobId), now, ct);
            var repoDay = await SpendAsync(conn, tx, "budget_repository_spend", c => BindRepositoryDay(c, repository, day), now, ct);
            BudgetRules.Check(scope, worstCase, job, repoDay, day); // throws before anything is written
            var reservation = new BudgetReservation(Guid.NewGuid().ToString("N"), scope, day, worstCase);
            await using var insert = Command(conn, tx, SqlScripts.Get(Driver, "budget_reserve"));
            insert.Parameters.AddWithValue("@id", reservation.Id);
            insert.Parameters.AddWithValue("@job_id", scope.JobId);
            BindRepositoryDay(insert, repository, day);
            BindCharge(insert, worstCase);
            insert.Parameters.AddWithValue("@expires_at", Ts(now + BudgetRules.ReservationLifetime));
            await insert.ExecuteNonQueryAsync(ct);
            return reservation;
        }, ct);
    }

    public async ValueTask SettleAsync(BudgetReservation reservation, BudgetCharge used, CancellationToken ct) => await WriteAsync(async (conn, tx) =>
    {
        await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, "budget_settle"));
        cmd.Parameters.AddWithValue("@id", reservation.Id);
        BindCharge(cmd, used);
        return await cmd.ExecuteNonQueryAsync(ct);
    }, ct);

    public async ValueTask<BudgetSpend> JobSpendAsync(long jobId, CancellationToken ct) => await ReadAsync(conn =>
        SpendAsync(conn, null, "budget_job_spend", c => c.Parameters.AddWithValue("@job_id", jobId), _time.GetUtcNow(), ct), ct);

    public async ValueTask<BudgetSpend> RepositorySpendAsync(string repository, DateOnly day, CancellationToken ct) => await ReadAsync(conn =>
        SpendAsync(conn, null, "budget_repository_spend", c => BindRepositoryDay(c, BudgetRules.RepositoryKey(repository), day), _time.GetUtcNow(), ct), ct);

    private static async Task<BudgetSpend> SpendAsync(SqliteConnection conn, SqliteTransaction? tx, string script, Action<SqliteCommand> bind, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = Command(conn, tx, SqlScripts.Get(Driver, script));
        bind(cmd);
        cmd.Parameters.AddWithValue("@now", Ts(now));
        int turns = 0;
        long input = 0, output = 0;
        var usd = 0m;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            turns++;
            input += r.GetInt64(0);
            output += r.GetInt64(1);
            usd += ParseUsd(r.GetString(2));
        }
        return new BudgetSpend(turns, input, output, usd);
    }

    private static void BindRepositoryDay(SqliteCommand cmd, string repository, DateOnly day)
    {
        cmd.Parameters.AddWithValue("@repository", repository);
        cmd.Parameters.AddWithValue("@day", day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void BindCharge(SqliteCommand cmd, BudgetCharge charge)
    {
        cmd.Parameters.AddWithValue("@input_tokens", charge.InputTokens);
        cmd.Parameters.AddWithValue("@output_tokens", charge.OutputTokens);
        cmd.Parameters.AddWithValue("@usd", Usd(charge.Usd ?? 0m));
    }
}
