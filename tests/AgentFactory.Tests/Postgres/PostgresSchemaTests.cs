using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using Npgsql;

namespace AgentFactory.Tests.Postgres;

/// <summary>The versioned migrations, and docs/supabase_migrations_orchestrator.sql as their twin for the Supabase SQL editor.</summary>
public sealed class PostgresSchemaTests
{
    private static readonly string SupabaseFile = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Docs", "supabase_migrations_orchestrator.sql"));

    [PostgresFact]
    public async Task Supabase_file_and_migrations_create_identical_columns_indexes_and_constraints()
    {
        var server = await PostgresServer.Shared;
        await using var pasted = await server.CreateDatabaseAsync();
        await using var migrated = await server.CreateDatabaseAsync();
        await pasted.ExecuteAsync(SupabaseFile);
        await using (var store = new PostgresJobStore(migrated.ConnectionString, TimeProvider.System, new QueueSignal()))
            await store.MigrateAsync(CancellationToken.None);

        var expected = await SchemaAsync(migrated);
        var actual = await SchemaAsync(pasted);
        Assert.Contains(expected, line => line.StartsWith("agent_jobs.payload jsonb", StringComparison.Ordinal));
        Assert.Contains(expected, line => line.StartsWith("agent_jobs_claim:", StringComparison.Ordinal));
        Assert.True(expected.SequenceEqual(actual),
            $"Only from the migrations:\n  {string.Join("\n  ", expected.Except(actual))}\nOnly from the Supabase file:\n  {string.Join("\n  ", actual.Except(expected))}");
    }

    [PostgresFact]
    public async Task Supabase_file_runs_twice_and_the_service_then_applies_nothing_again()
    {
        var server = await PostgresServer.Shared;
        await using var db = await server.CreateDatabaseAsync();
        await db.ExecuteAsync(SupabaseFile);
        await db.ExecuteAsync(SupabaseFile);
        await using var store = new PostgresJobStore(db.ConnectionString, TimeProvider.System, new QueueSignal());
        await store.MigrateAsync(CancellationToken.None);

        // The file records every version it contains, so the service finds nothing left to apply.
        Assert.Equal(SqlScripts.Migrations("Postgres").Count, await db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        var id = await store.EnqueueAsync(new NewJob("t", "{}"), CancellationToken.None);
        Assert.Equal(id, Assert.Single(await store.ClaimAsync("w", 1, TimeSpan.FromSeconds(30), CancellationToken.None)).Id);
    }

    [PostgresFact]
    public async Task Instances_migrating_at_once_apply_each_version_exactly_once()
    {
        var server = await PostgresServer.Shared;
        await using var db = await server.CreateDatabaseAsync();
        var stores = Enumerable.Range(0, 6).Select(_ => new PostgresJobStore(db.ConnectionString, TimeProvider.System, new QueueSignal())).ToList();
        try
        {
            await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(CancellationToken.None))));
        }
        finally
        {
            foreach (var s in stores) await s.DisposeAsync();
        }
        var versions = SqlScripts.Migrations("Postgres").Count;
        Assert.Equal(versions, await db.ScalarAsync<long>("SELECT count(DISTINCT version) FROM schema_migrations"));
        Assert.Equal(versions, await db.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    /// <summary>Columns (type, nullability, default, identity), index definitions, constraints and row security of the public schema.</summary>
    private static async Task<List<string>> SchemaAsync(TestDatabase db)
    {
        const string sql = """
            SELECT table_name || '.' || column_name || ' ' || data_type || ' nullable=' || is_nullable
                   || ' default=' || coalesce(column_default, '-') || ' identity=' || is_identity || coalesce(identity_generation, '')
            FROM information_schema.columns WHERE table_schema = 'public'
            UNION ALL
            SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
            UNION ALL
            SELECT conrelid::regclass::text || '.' || conname || ': ' || pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = 'public'::regnamespace
            UNION ALL
            SELECT relname || ' row_security=' || relrowsecurity FROM pg_class
            WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
            ORDER BY 1
            """;
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await r.ReadAsync()) lines.Add(r.GetString(0));
        return lines;
    }
}
