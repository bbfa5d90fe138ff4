using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AgentFactory.Ingest;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// The fault scenarios run one at a time, after the parallel tests: each loads both cores on purpose,
/// and their conditions (a job still running while others complete) should not compete with other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection
{
    public const string Name = "Faults";
}

/// <summary>
/// Sizes of the fault scenarios: small in `dotnet test` (CI), large when bench/faults.sh sets
/// AF_FAULTS_FULL=1. Each figure a scenario measures is appended to AF_FAULTS_REPORT when set,
/// so the script can put them in docs/reliability.md.
/// </summary>
public static class FaultScale
{
    public static bool Full { get; } = Environment.GetEnvironmentVariable("AF_FAULTS_FULL") == "1";

    public static int Pick(int ci, int full) => Full ? full : ci;

    public static TimeSpan Pick(TimeSpan ci, TimeSpan full) => Full ? full : ci;

    /// <summary>How long a scenario may take before it is declared hung; only bounds a broken run.</summary>
    public static TimeSpan Deadline => Full ? TimeSpan.FromMinutes(30) : TimeSpan.FromSeconds(90);

    public static void Report(string scenario, string figures)
    {
        var line = $"{scenario}: {figures}";
        Console.WriteLine("FAULT " + line);
        if (Environment.GetEnvironmentVariable("AF_FAULTS_REPORT") is { Length: > 0 } path)
            lock (typeof(FaultScale)) File.AppendAllText(path, line + "\n");
    }

    public static async Task Until(Func<Task<bool>> condition, string what, Func<string>? context = null, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Deadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for {what}.{(context is null ? "" : "\n" + context())}");
            await Task.Delay(Full ? 250 : 50);
        }
    }
}

/// <summary>A real `agentfactory` process (serve, webhook or orchestrator); its output tail kept for failure messages.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly SemaphoreSlim _lines = new(0);
    private readonly ConcurrentBag<string> _marks = [];
    private readonly ConcurrentQueue<string> _alarms = new();

    private ServiceProcess(Process process, string name, Uri? url)
    {
        _process = process;
        Name = name;
        Url = url;
    }

    public string Name { get; }
    public Uri? Url { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public static ServiceProcess Start(string workDir, string name, IDictionary<string, string> env, string role)
    {
        var url = role == "orchestrator" ? null : new Uri($"http://127.0.0.1:{Support.Cli.FreePort()}");
        var args = url is null ? new[] { role } : [role, "--urls", url.ToString()];
        var psi = Support.Cli.StartInfo(workDir, new Dictionary<string, string>(env) { ["INSTANCE_NAME"] = name }, args);
        var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var started = new ServiceProcess(process, name, url);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    public string Output
    {
        get { lock (_tail) return $"--- {Name} (last lines):\n" + string.Join('\n', _tail); }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > 200) _tail.Dequeue();
        }
        if (line.Contains("Unhandled exception", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal) || line.Contains(" fail: ", StringComparison.Ordinal))
            if (_alarms.Count < 1_000) _alarms.Enqueue(line);
        if (line.Contains("Now listening", StringComparison.Ordinal) || line.Contains("Orchestrator", StringComparison.OrdinalIgnoreCase)) _marks.Add(line);
        _lines.Release();
    }

    /// <summary>Waits until the HTTP roles answer /health (any status: the process is up and listening).</summary>
    public async Task WaitListeningAsync()
    {
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        await FaultScale.Until(async () =>
        {
            if (_process.HasExited) Assert.Fail($"{Name} exited with {_process.ExitCode}.\n{Output}");
            try { using var r = await http.GetAsync("/health"); return true; }
            catch (HttpRequestException) { return false; }
            catch (TaskCanceledException) { return false; }
        }, $"{Name} to listen", () => Output, TimeSpan.FromSeconds(60));
    }

    /// <summary>Resident memory of the process in MB (VmRSS).</summary>
    public double RssMb()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return 0;
    }

    /// <summary>Every line the process logged at error or critical level, or that reports an unhandled exception (the first 1,000).</summary>
    public IReadOnlyList<string> Alarms => [.. _alarms];

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>SIGTERM, as a process manager stops the service; waits (bounded) and returns the exit code, or null if it did not exit.</summary>
    public async Task<int?> TerminateAsync(TimeSpan within)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var deadline = new CancellationTokenSource(within);
        try { await _process.WaitForExitAsync(deadline.Token); }
        catch (OperationCanceledException) { return null; }
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no drain, no hand-back, nothing flushed that was not committed.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit(30_000);
        }
        catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

/// <summary>What happened to each delivery the load generator sent.</summary>
public sealed class DeliveryLog
{
    public ConcurrentDictionary<string, int> Status { get; } = new(); // delivery id → HTTP status, 0 = no answer

    public IEnumerable<string> Acked => Status.Where(s => s.Value is >= 200 and < 300).Select(s => s.Key);
    public int Count(Func<int, bool> status) => Status.Values.Count(status);

    public string Summary() => string.Join(", ", Status.Values.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "no answer" : g.Key.ToString(CultureInfo.InvariantCulture))}×{g.Count()}"));
}

/// <summary>
/// Signed push deliveries, each with its own delivery id and its own body (as GitHub's are: the same
/// body again is a replay, deduplicated), sent over several connections.
/// </summary>
public static class Load
{
    private static readonly string Push = Fixtures.Read("push", "push");

    /// <summary>The recorded push with the delivery id in it, so every delivery's body differs.</summary>
    public static byte[] Body(string id) => Encoding.UTF8.GetBytes("{\"test_delivery\":\"" + id + "\"," + Push.TrimStart()[1..]);

    public static HttpClient Client(Uri url) => new(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };

    public static HttpRequestMessage Delivery(string id)
    {
        var body = Body(id);
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-GitHub-Delivery", id);
        request.Headers.Add("X-GitHub-Hook-ID", "1");
        request.Headers.Add("X-Hub-Signature-256", WebhookSignature.Sign(FaultEnv.Secret, body));
        return request;
    }

    /// <summary>Sends one delivery; records its status, or 0 when no answer came (connection refused or cut).</summary>
    public static async Task<int> SendAsync(HttpClient http, string id, DeliveryLog log)
    {
        int status;
        try
        {
            using var request = Delivery(id);
            using var response = await http.SendAsync(request);
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException) { status = 0; }
        catch (TaskCanceledException) { status = 0; }
        log.Status[id] = status;
        return status;
    }

    /// <summary>Sends the ids over <paramref name="concurrency"/> connections until done or <paramref name="stop"/> fires.</summary>
    public static Task StreamAsync(HttpClient http, IReadOnlyList<string> ids, int concurrency, DeliveryLog log, CancellationToken stop, Func<int, Task>? pace = null)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while (!stop.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < ids.Count)
            {
                await SendAsync(http, ids[i], log);
                if (pace is not null) await pace(i);
            }
        })));
    }
}

/// <summary>The settings every fault scenario's processes share.</summary>
public static class FaultEnv
{
    public const string Secret = "fault-webhook-secret-0123456789";
    public const string Token = "fault-manual-token-0123456789";

    /// <summary>Pushes become jobs on the built-in log agent: the scenarios are about the queue, not the agent.</summary>
    public const string LogRouting = """
        { "routes": [ { "event": "push", "jobType": "github_push" } ], "jobs": { "*": { "agent": "log", "maxAttempts": 5 } } }
        """;

    public static Dictionary<string, string> For(TempDir dir, string routingJson, string? databaseUrl = null)
    {
        File.WriteAllText(dir.File("routing.json"), routingJson);
        var env = new Dictionary<string, string>
        {
            ["GITHUB_WEBHOOK_SECRET"] = Secret,
            ["MANUAL_TRIGGER_TOKEN"] = Token,
            ["AGENTFACTORY_ROUTING"] = dir.File("routing.json"),
            ["AGENTFACTORY_DATA_DIR"] = dir.File("data"),
            ["ORCHESTRATOR_LOG_LEVEL"] = "WARNING",
            ["JOB_LEASE_SECONDS"] = "2",
            ["TICK_INTERVAL_SECONDS"] = "1",
            ["WEBHOOK_FAILURE_LIMIT"] = "0",
        };
        if (databaseUrl is not null) env["DATABASE_URL"] = databaseUrl;
        return env;
    }
}
