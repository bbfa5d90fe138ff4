using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace AgentFactory.Tests.Postgres;

/// <summary>
/// A throw-away PostgreSQL server: initdb into a temp directory, pg_ctl start on a free port on
/// 127.0.0.1 (its unix socket in that directory), durability off for speed. The server refuses to
/// run as root, so as root every server command runs as the postgres user. <see cref="Shared"/> is
/// one server for the whole test run (each test makes its own database on it);
/// <see cref="StartPrivateAsync"/> gives a test its own server to stop and start.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(StartSharedAsync);

    private readonly string? _dir;
    private readonly int _port;
    private readonly NpgsqlDataSource _admin;

    private PostgresServer(string adminConnectionString, string? dir, int port)
    {
        AdminConnectionString = adminConnectionString;
        _dir = dir;
        _port = port;
        _admin = NpgsqlDataSource.Create(adminConnectionString);
    }

    public string AdminConnectionString { get; }

    /// <summary>The run's server: AGENTFACTORY_TEST_POSTGRES if set, else one started from the local binaries.</summary>
    public static Task<PostgresServer> Shared => SharedServer.Value;

    private static async Task<PostgresServer> StartSharedAsync()
    {
        if (PostgresEnvironment.External is { } external) return new PostgresServer(external, null, 0);
        if (PostgresEnvironment.BinDir is null) throw PostgresEnvironment.Missing(needsServerBinaries: false);
        DeleteLeftovers();
        return await StartPrivateAsync();
    }

    /// <summary>A server of the caller's own (dispose it to stop it and delete its files).</summary>
    public static async Task<PostgresServer> StartPrivateAsync()
    {
        var bin = PostgresEnvironment.BinDir ?? throw PostgresEnvironment.Missing(needsServerBinaries: true);
        var dir = AsRoot
            ? (await RunAsync("mktemp", "-d", "/tmp/af-pg-XXXXXX")).Trim()
            : Directory.CreateTempSubdirectory("af-pg-").FullName;
        var port = FreePort();
        var server = new PostgresServer(
            $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Maximum Pool Size=20;Timeout=15", dir, port);
        StartReaper(dir);
        try
        {
            await RunAsync(Path.Combine(bin, "initdb"), "-D", server.DataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N");
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>pg_ctl start (again), waiting until it accepts connections.</summary>
    public async Task StartAsync()
    {
        var options = $"-c port={_port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={_dir} " +
                      "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB";
        await RunAsync(PgCtl, "-D", DataDir, "-l", Path.Combine(_dir!, "server.log"), "-w", "-t", "60", "-o", options, "start");
    }

    /// <summary>pg_ctl stop -m fast: every connection is told the server is shutting down, as in a real restart.</summary>
    public Task StopAsync() => RunAsync(PgCtl, "-D", DataDir, "-m", "fast", "-w", "stop");

    /// <summary>A new empty database (af_&lt;random&gt;), dropped again when the test disposes it.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync()
    {
        var name = "af_" + Guid.NewGuid().ToString("N")[..16];
        await using (var cmd = _admin.CreateCommand($"CREATE DATABASE {name}"))
            await cmd.ExecuteNonQueryAsync();
        var cs = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
        return new TestDatabase(name, cs, this);
    }

    internal async Task DropDatabaseAsync(string name)
    {
        try
        {
            await using var cmd = _admin.CreateCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
            // The server may be stopped (outage tests); a temp server's files go with it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _admin.DisposeAsync();
        if (_dir is null) return;
        try { await RunAsync(PgCtl, "-D", DataDir, "-m", "immediate", "-w", "stop"); }
        catch (InvalidOperationException) { } // already stopped
        DeleteDir(_dir);
    }

    private string PgCtl => Path.Combine(PostgresEnvironment.BinDir!, "pg_ctl");
    private string DataDir => Path.Combine(_dir!, "data");

    /// <summary>
    /// A detached watcher that stops the server and removes its directory once this test process is
    /// gone, however it ends: the test host is often ended moments after the run, too soon for an exit
    /// handler, and a killed run runs no handler at all. Double-forked with setsid, so it outlives us.
    /// </summary>
    private static void StartReaper(string dir)
    {
        var pgCtl = Path.Combine(PostgresEnvironment.BinDir!, "pg_ctl");
        var stop = $"{(AsRoot ? "runuser -u postgres -- " : "")}{pgCtl} -D {dir}/data -m immediate -w stop";
        var watch = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {stop}; rm -rf {dir}";
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-c", "setsid sh -c \"$1\" reaper </dev/null >/dev/null 2>&1 &", "sh", watch }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
    }

    private static void DeleteDir(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Directories of earlier runs whose server is no longer running (a run that was killed cannot clean up).</summary>
    private static void DeleteLeftovers()
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "af-pg-*"))
        {
            if (File.Exists(Path.Combine(dir, "data", "postmaster.pid"))) continue;
            if (Directory.GetLastWriteTimeUtc(dir) > DateTime.UtcNow.AddMinutes(-10)) continue;
            DeleteDir(dir);
        }
    }

    private static bool AsRoot => Environment.UserName == "root";

    /// <summary>Runs a server command (as the postgres user when we are root); throws with its output on failure.</summary>
    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(AsRoot ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/tmp",
        };
        if (AsRoot) foreach (var a in new[] { "-u", "postgres", "--", file }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}{await stdout}");
        return await stdout;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One test's own database on a <see cref="PostgresServer"/>.</summary>
public sealed class TestDatabase(string name, string connectionString, PostgresServer server) : IAsyncDisposable
{
    public string Name { get; } = name;

    /// <summary>An Npgsql keyword string, usable as DATABASE_URL.</summary>
    public string ConnectionString { get; } = connectionString;

    /// <summary>The same database as a postgresql:// URI, the form Supabase shows.</summary>
    public string Uri
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(ConnectionString);
            return $"postgresql://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
        }
    }

    public PostgresServer Server { get; } = server;

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        var value = await cmd.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public async Task<int> ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DropDatabaseAsync(Name);
    }
}
