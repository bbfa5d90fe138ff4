using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFactory.Agents.Coding;
using AgentFactory.Agents.Coding.Model;
using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Observability;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Sandbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

/// <summary>
/// What a coding job costs the service itself (issue 13): the model runtime's tool loop against a scripted
/// OpenAI-compatible server on loopback (replies at once), the real model layer and budget ledger, the real
/// sandbox (bubblewrap) for run_shell, real git checkpoints, steps in a real SQLite queue. Per turn it reports
/// the service's own time: the turn's wall time minus the model call and the tools' own work, and the sandbox
/// start (run_shell "true") on top. --turns N (default 200) shows whether turns slow down as the transcript
/// grows; --jobs K runs K coding jobs at once and reports memory per running job.
/// </summary>
internal static class CoderBench
{
    public static async Task RunAsync(Func<string, string, string> get)
    {
        var turns = int.Parse(get("turns", "200"), CultureInfo.InvariantCulture);
        var jobs = int.Parse(get("jobs", "1"), CultureInfo.InvariantCulture);
        var delayMs = int.Parse(get("model-delay-ms", jobs > 1 ? "200" : "0"), CultureInfo.InvariantCulture);
        var dir = Path.Combine("/var/tmp", "af-coder-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        await using var server = await ScriptedModel.StartAsync(turns, delayMs);
        var catalog = ModelCatalog.Build(new Dictionary<string, ModelEntry> { ["bench"] = new() { BaseUrl = server.Url + "v1", Model = "bench", ContextWindow = 1_000_000, MaxOutputTokens = 1_000 } },
            new LlmSettings(), _ => null);
        var ledger = new InMemoryBudgetLedger();
        using var models = new ModelClients(catalog, ledger, [], new ModelRetryOptions(), TimeProvider.System, NullLogger<ModelClients>.Instance);
        using var store = new SqliteJobStore(Path.Combine(dir, "bench.db"), TimeProvider.System, new QueueSignal());
        await store.MigrateAsync(CancellationToken.None);
        var processes = new BubblewrapProcesses();

        GC.Collect();
        var rssBefore = Rss();
        var runs = Enumerable.Range(1, jobs).Select(i => OneAsync(i, dir, store, models.Get("bench"), processes)).ToList();
        var peak = rssBefore;
        while (!Task.WhenAll(runs).IsCompleted)
        {
            peak = Math.Max(peak, Rss());
            await Task.WhenAny(Task.WhenAll(runs), Task.Delay(100));
        }
        var results = await Task.WhenAll(runs);
        var first = results[0];
        var overhead = first.Overheads;
        string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        double P(IReadOnlyList<double> xs, double q) => xs.OrderBy(x => x).ElementAt(Math.Min(xs.Count - 1, (int)(q * xs.Count)));
        var early = overhead.Take(20).ToList();
        var late = overhead.Skip(Math.Max(0, overhead.Count - 20)).ToList();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            mode = "coder",
            turns = overhead.Count,
            jobs,
            overhead_ms_p50 = F(P(overhead, 0.5)),
            overhead_ms_p95 = F(P(overhead, 0.95)),
            overhead_ms_first20_p50 = F(P(early, 0.5)),
            overhead_ms_last20_p50 = F(P(late, 0.5)),
            sandbox_start_ms_p50 = F(P(first.SandboxStarts, 0.5)),
            overhead_plus_sandbox_ms_p50 = F(P(overhead, 0.5) + P(first.SandboxStarts, 0.5)),
            rss_mb_before = F(rssBefore),
            rss_mb_peak = F(peak),
            rss_mb_per_running_job = F((peak - rssBefore) / jobs),
            end = first.End,
        }));
        Directory.Delete(dir, recursive: true);
    }

    private sealed record RunResult(List<double> Overheads, List<double> SandboxStarts, string End);

    private static async Task<RunResult> OneAsync(int n, string root, SqliteJobStore store, ModelClient model, IAgentProcesses processes)
    {
        var repo = Path.Combine(root, "repo-" + n);
        Directory.CreateDirectory(repo);
        Git(repo, "init", "--quiet", "-b", "main");
        File.WriteAllText(Path.Combine(repo, "calc.py"), "def add(a, b):\n    return a - b\n# counter 0\n");
        Git(repo, "add", "-A");
        Git(repo, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "--quiet", "-m", "init");
        var id = await store.EnqueueAsync(new NewJob("coder", "{}"), CancellationToken.None);
        var job = (await store.ClaimAsync("bench-" + n, 1, TimeSpan.FromHours(1), CancellationToken.None)).Single(j => j.Id == id);
        var recorder = new TimingRecorder(new StoreStepRecorder(store, job.Lease, SecretRedactor.None));
        var policy = new SandboxPolicy(id, [repo], [Path.Combine(root, "bench.db")], [], SandboxLimits.Default with { WallClock = TimeSpan.FromMinutes(5) });
        var env = new Dictionary<string, string> { ["PATH"] = "/usr/local/bin:/usr/bin:/bin", ["HOME"] = "/tmp" };
        var run = new CodingRun(repo, processes, policy, env, new BudgetScope(id, "bench/repo", BudgetLimits.None), DateTimeOffset.UtcNow.AddHours(1), recorder, [],
            _ => Task.FromResult<string?>(Checkpoint(repo)), new CodingToolSettings { TestCommand = "true" }, TimeProvider.System);
        var outcome = await new ModelRuntime(model, new ModelRuntimeSettings(), NullLogger<ModelRuntime>.Instance)
            .RunAsync(new CodingTask(id, "bench/repo", 1, "bench", "Count up.", "main", "agent-task/issue-1"), run, CancellationToken.None);
        return new RunResult(recorder.Overheads(), recorder.SandboxStarts, outcome.End.ToString());
    }

    private static string? Checkpoint(string repo)
    {
        Git(repo, "add", "-A");
        Git(repo, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "--quiet", "--allow-empty", "-m", "wip");
        return "wip";
    }

    private static void Git(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
    }

    private static double Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return 0;
    }

    /// <summary>Stores each step and notes when the model steps arrive, to take the turn's wall time apart.</summary>
    private sealed class TimingRecorder(IStepRecorder inner) : IStepRecorder
    {
        private readonly List<(long At, NewJobStep Step)> _steps = [];

        public List<double> SandboxStarts { get; } = [];

        public async Task RecordAsync(NewJobStep step, CancellationToken ct)
        {
            _steps.Add((Stopwatch.GetTimestamp(), step));
            if (step.Kind == StepKinds.Tool && step.Name == "run_shell") SandboxStarts.Add(step.Duration.TotalMilliseconds);
            await inner.RecordAsync(step, ct);
        }

        /// <summary>Per turn after the first: the time between two model steps, minus the second call and the tools between.</summary>
        public List<double> Overheads()
        {
            var result = new List<double>();
            var models = _steps.Select((s, i) => (s, i)).Where(x => x.s.Step.Kind == StepKinds.Model).ToList();
            for (var k = 1; k < models.Count; k++)
            {
                var (prev, next) = (models[k - 1], models[k]);
                var wall = Stopwatch.GetElapsedTime(prev.s.At, next.s.At).TotalMilliseconds;
                var tools = _steps.Skip(prev.i + 1).Take(next.i - prev.i - 1).Where(s => s.Step.Kind == StepKinds.Tool).Sum(s => s.Step.Duration.TotalMilliseconds);
                result.Add(wall - next.s.Step.Duration.TotalMilliseconds - tools);
            }
            return result;
        }
    }

    /// <summary>An OpenAI-compatible chat-completions server on loopback that plays a fixed loop of tool calls, then finish.</summary>
    private sealed class ScriptedModel : IAsyncDisposable
    {
        private WebApplication _app = null!;
        private int _turn;

        public string Url { get; private set; } = "";

        public static async Task<ScriptedModel> StartAsync(int turns, int delayMs)
        {
            var model = new ScriptedModel();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            model._app = builder.Build();
            model._app.MapPost("/v1/chat/completions", async (HttpContext http) =>
            {
                using var body = await JsonDocument.ParseAsync(http.Request.Body);
                if (delayMs > 0) await Task.Delay(delayMs);
                var turn = Interlocked.Increment(ref model._turn);
                // Each job counts its own turns by the number of assistant messages it already sent.
                var mine = body.RootElement.GetProperty("messages").EnumerateArray().Count(m => m.GetProperty("role").GetString() == "assistant") + 1;
                var (name, args) = mine >= turns ? ("finish", """{"summary":"done"}""") : (mine % 4) switch
                {
                    0 => ("view_file", """{"path":"calc.py"}"""),
                    1 => ("run_shell", """{"command":"true"}"""),
                    2 => ("search", """{"pattern":"add"}"""),
                    _ => ("str_replace", "{\"path\":\"calc.py\",\"old_str\":\"# counter " + (mine / 4) + "\\n\",\"new_str\":\"# counter " + (mine / 4 + 1) + "\\n\"}"),
                };
                var reply = new JsonObject
                {
                    ["id"] = "chatcmpl-" + turn, ["object"] = "chat.completion", ["created"] = 0, ["model"] = "bench",
                    ["choices"] = new JsonArray(new JsonObject
                    {
                        ["index"] = 0, ["finish_reason"] = "tool_calls",
                        ["message"] = new JsonObject
                        {
                            ["role"] = "assistant", ["content"] = null,
                            ["tool_calls"] = new JsonArray(new JsonObject { ["id"] = "call_" + mine, ["type"] = "function", ["function"] = new JsonObject { ["name"] = name, ["arguments"] = args } }),
                        },
                    }),
                    ["usage"] = new JsonObject { ["prompt_tokens"] = 1000, ["completion_tokens"] = 20, ["total_tokens"] = 1020 },
                };
                return Results.Text(reply.ToJsonString(), "application/json");
            });
            await model._app.StartAsync();
            model.Url = model._app.Urls.First().TrimEnd('/') + "/";
            return model;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
