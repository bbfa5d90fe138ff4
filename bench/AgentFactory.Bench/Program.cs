using System.Diagnostics;
using System.Text.Json;
using AgentFactory.Agents;
using AgentFactory.Events;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Orchestration;
using AgentFactory.Queue;
using AgentFactory.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Queue benchmark: N no-op jobs through the real store and the real Orchestrator(s).
//   throughput: enqueue N jobs, start K orchestrators, time until all N are completed (claim → run → complete).
//   prefill:    migrate and --prefill only, then exit (a history-laden database for the ingest growth run).
//   store:      7 KB deliveries straight into the store in batches (the ingest write path without HTTP).
//   coder:      the coding agent's model runtime against a scripted model: the service's own time per turn and memory per job (CoderBench.cs).
//   latency:    one orchestrator idle; enqueue one job at a time, time from before EnqueueAsync to the agent's start.
// Prints one JSON object on stdout. Usage:
//   AgentFactory.Bench --mode throughput|latency [--database-url URL | --data-dir DIR] [--jobs N]
//                      [--orchestrators K] [--concurrency C] [--prefill M] [--batch B] [--writers W] [--keys K]
//   --keys K: every job carries a serialize concurrency key, one of K ("bench#{{k}}", rendered at enqueue as
//   ingest does), so the claim runs its per-key checks; 0 (the default) is the keyless queue.
var opts = Args.Parse(args);
var mode = opts.Get("mode", "throughput");
if (mode == "coder")
{
    await CoderBench.RunAsync(opts.Get);
    return 0;
}
var jobs = int.Parse(opts.Get("jobs", "20000"));
var orchestrators = int.Parse(opts.Get("orchestrators", "1"));
var concurrency = int.Parse(opts.Get("concurrency", "64"));
var prefill = int.Parse(opts.Get("prefill", "0"));
var keys = int.Parse(opts.Get("keys", "0"));
var databaseUrl = opts.GetOrNull("database-url");
var dataDir = opts.Get("data-dir", Path.Combine(Path.GetTempPath(), "af-bench-" + Guid.NewGuid().ToString("N")[..8]));
Directory.CreateDirectory(dataDir);

var concurrencySetting = keys > 0 ? ", \"concurrency\": { \"key\": \"bench#{{k}}\", \"mode\": \"serialize\" }" : "";
var routing = RoutingLoader.Parse("""
    { "routes": [], "jobs": { "noop": { "agent": "noop", "permission": "none", "maxAttempts": 1, "timeout": "00:01:00"
    """ + concurrencySetting + """
    }, "*": { "agent": "noop" } },
      "agents": { "noop": { "kind": "noop" } } }
    """, "bench");
var noop = routing.SettingsFor("noop");
// The job for the k-th enqueue, as ingest makes it (with its rendered key when --keys is set).
NewJob NoopJob(int k, string body) => noop.NewJob("noop", keys > 0 ? body.TrimEnd('}') + ",\"k\":" + (k % keys) + "}" : body, 0);
var probe = new NoopProbe();

IHost BuildHost(string instance)
{
    var options = new AgentFactoryOptions
    {
        DataDirectory = dataDir,
        DatabaseUrl = databaseUrl,
        InstanceName = instance,
        MaxConcurrentJobs = concurrency,
        GitSyncEnabled = false,
        LogLevel = "WARNING",
        RetentionCompleted = TimeSpan.Zero,
        RetentionEvents = TimeSpan.Zero,
    };
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Logging.AddAgentFactoryLogging(options);
    builder.Services.AddAgentFactory(new ServiceSettings { Options = options, Routing = routing }, Roles.Orchestrator);
    builder.Services.AddSingleton(probe);
    builder.Services.AddSingleton<IAgentKind, NoopAgentKind>();
    builder.Services.AddSingleton<IJobNotifier>(probe);
    return builder.Build();
}

// A store of our own for enqueueing, migrated once before any orchestrator starts.
var setupHost = BuildHost("bench-setup");
var store = setupHost.Services.GetRequiredService<IJobStore>();
await store.MigrateAsync(CancellationToken.None);
if (prefill > 0) await Prefill.RunAsync(store, databaseUrl, Path.Combine(dataDir, "agentfactory.db"), prefill);

var payload = "{\"bench\":true}";
var result = new Dictionary<string, object?>
{
    ["mode"] = mode, ["store"] = databaseUrl is null ? "sqlite" : "postgres", ["jobs"] = jobs,
    ["orchestrators"] = orchestrators, ["concurrency"] = concurrency, ["prefill"] = prefill, ["keys"] = keys,
};

if (mode == "prefill")
{
    // Only the migration and --prefill above: a database for `agentfactory webhook` to ingest into (bench/run.sh growth).
}
else if (mode == "store")
{
    // The ingest write path without HTTP: 7 KB push deliveries, one job each, handed to the store in batches
    // of --batch as the DeliveryBatcher would (with --writers batches in flight at once). CPU time per
    // delivery is the figure to watch: it does not depend on what else the machine is doing.
    var batchSize = int.Parse(opts.Get("batch", "32"));
    var writers = int.Parse(opts.Get("writers", "1"));
    var push = "{\"ref\":\"refs/heads/main\",\"repository\":{\"full_name\":\"bench/repo\"},\"head_commit\":{\"message\":\"" + new string('x', 6900) + "\"}}";
    var runId = Guid.NewGuid().ToString("N")[..8];
    var next = -1;
    async Task Writer()
    {
        while (true)
        {
            var start = Interlocked.Add(ref next, batchSize) - batchSize + 1;
            if (start >= jobs) return;
            var batch = Enumerable.Range(start, Math.Min(batchSize, jobs - start))
                .Select(k => new DeliveryRecord(new NewWebhookEvent($"{runId}-{k}", "1", "push", null, "bench/repo", push), [new NewJob("noop", push, 0, 1)]))
                .ToList();
            await store.RecordDeliveriesAsync(batch, CancellationToken.None);
        }
    }
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(Writer)));
    var seconds = sw.Elapsed.TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds;
    result["batch"] = batchSize;
    result["writers"] = writers;
    result["seconds"] = seconds;
    result["deliveries_per_second"] = jobs / seconds;
    result["cpu_us_per_delivery"] = cpu / jobs;
}
else if (mode == "throughput")
{
    // Enqueue through the ingest path (deliveries of one job each, 500 per transaction) before any orchestrator runs.
    var sw = Stopwatch.StartNew();
    var runId = Guid.NewGuid().ToString("N")[..8];
    for (var i = 0; i < jobs; i += 500)
    {
        var batch = Enumerable.Range(i, Math.Min(500, jobs - i))
            .Select(k => new DeliveryRecord(new NewWebhookEvent($"{runId}-{k}", "bench", "bench", null, null, payload), [NoopJob(k, payload)]))
            .ToList();
        await store.RecordDeliveriesAsync(batch, CancellationToken.None);
    }
    result["enqueue_seconds"] = sw.Elapsed.TotalSeconds;
    probe.Expect(jobs);
    var hosts = Enumerable.Range(0, orchestrators).Select(i => BuildHost($"bench-{i}")).ToList();
    sw.Restart();
    foreach (var h in hosts) await h.StartAsync();
    var finished = await Task.WhenAny(probe.AllDone, Task.Delay(TimeSpan.FromMinutes(5)));
    var seconds = sw.Elapsed.TotalSeconds;
    result["completed"] = probe.Completed;
    result["seconds"] = seconds;
    result["jobs_per_second"] = probe.Completed / seconds;
    result["timed_out"] = finished != probe.AllDone;
    foreach (var h in hosts) await h.StopAsync();
}
else
{
    // Enqueue through the orchestrator's own store, as `serve` does (ingest and orchestrator in one process).
    var host = BuildHost("bench-0");
    await host.StartAsync();
    store = host.Services.GetRequiredService<IJobStore>();
    await Task.Delay(500);
    var samples = new List<double>(jobs);
    for (var i = 0; i < jobs; i++)
    {
        var started = probe.NextStart();
        var t0 = Stopwatch.GetTimestamp();
        await store.EnqueueAsync(NoopJob(i, payload), CancellationToken.None);
        var t1 = await started.WaitAsync(TimeSpan.FromSeconds(30));
        samples.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
        await Task.Delay(5); // idle between jobs: the completion has been written and the loop is waiting
    }
    samples.Sort();
    double Pct(double p) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(p / 100 * samples.Count) - 1)];
    result["p50_ms"] = Pct(50);
    result["p99_ms"] = Pct(99);
    result["max_ms"] = samples[^1];
    await host.StopAsync();
}
result["rss_mb"] = Process.GetCurrentProcess().WorkingSet64 / 1048576.0;
Console.WriteLine(JsonSerializer.Serialize(result));
return 0;

/// <summary>Counts completions (the notifier is called after the write-back) and timestamps agent starts.</summary>
internal sealed class NoopProbe : IJobNotifier
{
    private int _completed;
    private int _expected = int.MaxValue;
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<long>? _nextStart;

    public int Completed => Volatile.Read(ref _completed);
    public Task AllDone => _all.Task;

    public void Expect(int n) => _expected = n;

    public Task<long> NextStart()
    {
        var tcs = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _nextStart, tcs);
        return tcs.Task;
    }

    public void Started() => Interlocked.Exchange(ref _nextStart, null)?.TrySetResult(Stopwatch.GetTimestamp());

    public Task JobEndedAsync(JobRecord job, JobEnding ending, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _completed) >= _expected) _all.TrySetResult();
        return Task.CompletedTask;
    }
}

internal sealed class NoopAgentKind(NoopProbe probe) : IAgentKind
{
    public string Kind => "noop";
    public IAgent Create(string name, JsonElement settings) => new NoopAgent(name, probe);
}

internal sealed class NoopAgent(string name, NoopProbe probe) : IAgent
{
    public string Name { get; } = name;
    public Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
    {
        probe.Started();
        return Task.FromResult(AgentResult.Success());
    }
}

internal sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2) d[args[i].TrimStart('-')] = args[i + 1];
        return new Args(d);
    }
    public string Get(string key, string fallback) => values.GetValueOrDefault(key, fallback);
    public string? GetOrNull(string key) => values.GetValueOrDefault(key);
}
