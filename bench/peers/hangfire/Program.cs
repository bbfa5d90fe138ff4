using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hangfire;
using Hangfire.PostgreSql;
using HangfirePeer;
using Npgsql;

// Queue peer for bench/run.sh: Hangfire 1.8 on Hangfire.PostgreSql, measured like bench/peers/node/queue.mjs
// and AgentFactory.Bench:
//   throughput: enqueue N no-op jobs, start the server, time until all N are Succeeded (claim → run → complete).
//   latency:    idle server; enqueue one job at a time, time from before Enqueue to the handler's start.
// Usage: hangfire-peer throughput|latency DATABASE_URL N      Prints one JSON object on stdout.
//
// Settings: QueuePollInterval 100 ms, 10 workers (Hangfire's own default on 2 cores is min(5 × cores, 20) = 10,
// and graphile-worker runs with concurrency 10), every other storage and server option at its default
// (native transactions, schema prepared by the storage, no long polling).
if (args.Length != 3 || (args[0] != "throughput" && args[0] != "latency"))
{
    await Console.Error.WriteLineAsync("usage: hangfire-peer throughput|latency DATABASE_URL N");
    return 2;
}
var mode = args[0];
var connectionString = ConnectionStrings.ToNpgsql(args[1]);
var n = int.Parse(args[2], CultureInfo.InvariantCulture);
const int Workers = 10;
var pollInterval = TimeSpan.FromMilliseconds(100);
var deadline = TimeSpan.FromMinutes(5);

var storageOptions = new PostgreSqlStorageOptions { QueuePollInterval = pollInterval };
GlobalConfiguration.Configuration
    .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
    .UseSimpleAssemblyNameTypeSerializer()
    .UseRecommendedSerializerSettings()
    .UsePostgreSqlStorage(c => c.UseNpgsqlConnection(connectionString), storageOptions);
var storage = JobStorage.Current; // the schema is created here, before anything is timed
var client = new BackgroundJobClient(storage);
var serverOptions = new BackgroundJobServerOptions { WorkerCount = Workers, ServerName = "bench-" + Environment.ProcessId };

var result = new Dictionary<string, object?> { ["peer"] = "hangfire", ["mode"] = mode, ["jobs"] = n };
await using var db = NpgsqlDataSource.Create(connectionString);

if (mode == "throughput")
{
    // Hangfire's client enqueues one job per transaction; 8 callers at once so the enqueue phase is not the bottleneck.
    var sw = Stopwatch.StartNew();
    Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ => client.Enqueue(() => NoopJob.Run()));
    result["enqueue_seconds"] = sw.Elapsed.TotalSeconds;

    sw.Restart();
    using var server = new BackgroundJobServer(serverOptions, storage);
    // Done when every handler has run and PostgreSQL holds all N jobs as Succeeded (the state change is committed
    // after the handler returns).
    var ok = false;
    while (sw.Elapsed < deadline)
    {
        if (NoopJob.Started >= n)
        {
            await using var cmd = db.CreateCommand("select count(*) from hangfire.job where statename = 'Succeeded'");
            if (Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture) >= n) { ok = true; break; }
            await Task.Delay(20);
        }
        else await Task.Delay(5);
    }
    var seconds = sw.Elapsed.TotalSeconds;
    server.SendStop();
    result["completed"] = ok ? n : NoopJob.Started;
    result["seconds"] = seconds;
    result["jobs_per_second"] = (ok ? n : NoopJob.Started) / seconds;
    result["timed_out"] = !ok;
}
else
{
    using var server = new BackgroundJobServer(serverOptions, storage);
    await Task.Delay(1000);
    var samples = new List<double>(n);
    for (var i = 0; i < n; i++)
    {
        var started = NoopJob.NextStart();
        var t0 = Stopwatch.GetTimestamp();
        client.Enqueue(() => NoopJob.Run());
        var t1 = await started.WaitAsync(TimeSpan.FromSeconds(30));
        samples.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
        await Task.Delay(5);
    }
    samples.Sort();
    double Pct(double p) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(p / 100 * samples.Count) - 1)];
    result["p50_ms"] = Pct(50);
    result["p99_ms"] = Pct(99);
    result["max_ms"] = samples[^1];
    server.SendStop();
}
result["workers"] = Workers;
result["poll_ms"] = pollInterval.TotalMilliseconds;
result["rss_mb"] = Process.GetCurrentProcess().WorkingSet64 / 1048576.0;
Console.WriteLine(JsonSerializer.Serialize(result));
return 0;

namespace HangfirePeer
{
    /// <summary>The job: counts starts and timestamps the one the latency loop waits for.</summary>
    public static class NoopJob
    {
        private static int _started;
        private static TaskCompletionSource<long>? _nextStart;

        public static int Started => Volatile.Read(ref _started);

        public static Task<long> NextStart()
        {
            var tcs = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _nextStart, tcs);
            return tcs.Task;
        }

        public static void Run()
        {
            Interlocked.Increment(ref _started);
            Interlocked.Exchange(ref _nextStart, null)?.TrySetResult(Stopwatch.GetTimestamp());
        }
    }

    internal static class ConnectionStrings
    {
        /// <summary>postgres://user[:password]@host[:port]/db (what bench/run.sh passes) or an Npgsql keyword string.</summary>
        public static string ToNpgsql(string value)
        {
            if (!value.StartsWith("postgres://", StringComparison.Ordinal) && !value.StartsWith("postgresql://", StringComparison.Ordinal))
                return value;
            var uri = new Uri(value);
            var user = uri.UserInfo.Split(':', 2);
            var b = new NpgsqlConnectionStringBuilder
            {
                Host = uri.Host,
                Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
                Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
                Username = Uri.UnescapeDataString(user[0]),
            };
            if (user.Length > 1) b.Password = Uri.UnescapeDataString(user[1]);
            return b.ConnectionString;
        }
    }
}
