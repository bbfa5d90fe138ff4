using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFactory.Events;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Routing;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Replay;

/// <summary>
/// What a replay test runs against: the fake GitHub (API and git) of an <see cref="AgentWorld"/> with two pull requests,
/// a real SQLite queue in the CLI's working directory seeded with stored deliveries and their jobs, and two scripted
/// OpenAI-compatible model servers named in the routing file as "mini" and "large", with prices.
/// </summary>
public sealed class ReplayWorld : IAsyncDisposable
{
    public const decimal MiniIn = 2, MiniOut = 8, LargeIn = 10, LargeOut = 30;
    private static readonly string[] Original = [.. Enumerable.Range(1, 30).Select(i => $"int line{i} = {i};")];

    private readonly TempDir _dir = new();

    private ReplayWorld(AgentWorld world, FakeOpenAiServer mini, FakeOpenAiServer large) => (World, Mini, Large) = (world, mini, large);

    public AgentWorld World { get; }
    public FakeOpenAiServer Mini { get; }
    public FakeOpenAiServer Large { get; }
    public FakeGitHub GitHub => World.GitHub;
    public string WorkDir => _dir.Path;
    public string DatabasePath => Path.Combine(_dir.Path, "data", "agentfactory.db");

    public static async Task<ReplayWorld> CreateAsync()
    {
        var world = await AgentWorld.CreateAsync(new Dictionary<string, string?> { ["src/app.cs"] = string.Join('\n', Original) + "\n" });
        var replay = new ReplayWorld(world, await FakeOpenAiServer.StartAsync(), await FakeOpenAiServer.StartAsync());
        replay.WriteRouting();
        return replay;
    }

    /// <summary>The shipped routing plus the two priced models.</summary>
    private void WriteRouting()
    {
        var routing = JsonNode.Parse(RoutingLoader.DefaultJson(), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        routing["models"] = new JsonObject
        {
            ["mini"] = new JsonObject { ["baseUrl"] = Mini.V1.AbsoluteUri, ["model"] = "mini-1", ["inputUsdPerMillion"] = MiniIn, ["outputUsdPerMillion"] = MiniOut, ["maxRetries"] = 0 },
            ["large"] = new JsonObject { ["baseUrl"] = Large.V1.AbsoluteUri, ["model"] = "large-2", ["inputUsdPerMillion"] = LargeIn, ["outputUsdPerMillion"] = LargeOut, ["maxRetries"] = 0 },
        };
        File.WriteAllText(RoutingPath, routing.ToJsonString());
    }

    public string RoutingPath => Path.Combine(_dir.Path, "routing.json");

    public Dictionary<string, string> Env => new()
    {
        ["GITHUB_TOKEN"] = AgentWorld.Token, ["GITHUB_API_URL"] = GitHub.ApiUrl.ToString(), ["AGENTFACTORY_ROUTING"] = RoutingPath,
        ["GITHUB_SERVICE_LOGIN"] = "agentfactory",
    };

    public Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => AgentFactory.Tests.Support.Cli.RunAsync(_dir.Path, Env, ["replay", .. args]);

    /// <summary>A pull request on the fake GitHub: a commit changing src/app.cs at <paramref name="line"/>, as the diff base...head.</summary>
    public string AddPullRequest(int number, int line)
    {
        var lines = Original.ToArray();
        lines[line - 1] = $"int line{line} = compute{number}();";
        var head = World.Push($"Change line {line}", new Dictionary<string, string?> { ["src/app.cs"] = string.Join('\n', lines) + "\n" });
        GitHub.AddPullRequestRange(number, World.Initial, head);
        return head;
    }

    public string PullRequestPayload(int number, string head, string action, string? title = null) => World.Payload("pull_request", "opened", n =>
    {
        n["action"] = action;
        n["number"] = number;
        n["pull_request"]!["number"] = number;
        n["pull_request"]!["title"] = title ?? $"Pull request {number}";
        n["pull_request"]!["head"]!["sha"] = head;
        n["pull_request"]!["base"]!["ref"] = "main";
    });

    /// <summary>Stores a delivery as ingest would, with a job of <paramref name="jobType"/> when <paramref name="withJob"/>, received at <paramref name="at"/>.</summary>
    public async Task StoreAsync(string deliveryId, string payload, string action, bool withJob = true, DateTimeOffset? at = null,
        string eventType = "pull_request", string jobType = "github_pull_request")
    {
        var routing = RoutingLoader.Parse(File.ReadAllText(RoutingPath), RoutingPath);
        using (var store = new SqliteJobStore(DatabasePath, new FakeTimeProvider(at ?? DateTimeOffset.UtcNow), new QueueSignal()))
        {
            await store.MigrateAsync(default);
            var jobs = withJob ? [routing.SettingsFor(jobType).NewJob(jobType, payload, 5)] : new List<AgentFactory.Jobs.NewJob>();
            var result = await store.RecordDeliveryAsync(new NewWebhookEvent(deliveryId, "1", eventType, action, AgentWorld.Repository, payload), jobs, default);
            Assert.Null(result.Refused);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>Every stored job as the store reads it, serialized: to prove a replay changed none.</summary>
    public async Task<string> JobsSnapshotAsync()
    {
        string snapshot;
        using (var store = new SqliteJobStore(DatabasePath, TimeProvider.System, new QueueSignal()))
            snapshot = JsonSerializer.Serialize(await store.ListJobsAsync(new AgentFactory.Jobs.JobQuery(Limit: 1000), default));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return snapshot;
    }

    /// <summary>Every table of the queue database with its rows, serialized: to prove a replay wrote nothing at all there (jobs, steps, budgets, …).</summary>
    public string DatabaseSnapshot()
    {
        var text = new System.Text.StringBuilder();
        using (var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly"))
        {
            conn.Open();
            var tables = new List<string>();
            using (var list = conn.CreateCommand())
            {
                list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
                using var r = list.ExecuteReader();
                while (r.Read()) tables.Add(r.GetString(0));
            }
            foreach (var table in tables)
            {
                using var rows = conn.CreateCommand();
                rows.CommandText = $"SELECT * FROM \"{table}\"";
                using var r = rows.ExecuteReader();
                text.Append("# ").Append(table).Append('\n');
                while (r.Read())
                    for (var i = 0; i < r.FieldCount; i++) text.Append(r.IsDBNull(i) ? "NULL" : r.GetValue(i).ToString()).Append(i + 1 < r.FieldCount ? '\t' : '\n');
            }
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return text.ToString();
    }

    /// <summary>
    /// The API requests that would have changed something on GitHub, had the fake received any (git's smart HTTP
    /// POSTs its fetches too: a push is a request to git-receive-pack, which tests look for on their own).
    /// </summary>
    public IReadOnlyList<RecordedRequest> Writes => [.. GitHub.Requests.Where(r => r.Path.StartsWith("/api/", StringComparison.Ordinal) && r.Method is "POST" or "PATCH" or "PUT" or "DELETE")];

    public static string Findings(string summary, int line, string message) => new JsonObject
    {
        ["summary"] = summary,
        ["findings"] = new JsonArray(new JsonObject { ["file"] = "src/app.cs", ["line"] = line, ["severity"] = "warning", ["message"] = message }),
    }.ToJsonString();

    public async ValueTask DisposeAsync()
    {
        await Mini.DisposeAsync();
        await Large.DisposeAsync();
        await World.DisposeAsync();
        _dir.Dispose();
    }
}
