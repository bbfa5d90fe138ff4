using System.Text.Json.Nodes;
using AgentFactory.GitHub;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Notify;
using AgentFactory.Options;
using AgentFactory.Routing;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Support;

/// <summary>
/// Everything an agent end-to-end test needs: a bare repository standing in for GitHub's copy
/// (served by <see cref="FakeGitHub"/>, API and git over HTTP with the token) and an author's clone
/// to push from. The service fetches the repository into its own mirror, as from GitHub.
/// </summary>
public sealed class AgentWorld : IAsyncDisposable
{
    public const string Repository = "octo/widgets";
    public const string Token = "ghp_test_token_for_the_fake_github_0001";

    private readonly TempDir _dir = new();

    public GitRepo Origin { get; private set; } = null!;
    public GitRepo Author { get; private set; } = null!;
    public FakeGitHub GitHub { get; private set; } = null!;
    public string Dir => _dir.Path;

    /// <summary>The first commit on main, present in every clone.</summary>
    public string Initial { get; private set; } = "";

    public static async Task<AgentWorld> CreateAsync(IReadOnlyDictionary<string, string?>? initialFiles = null)
    {
        var world = new AgentWorld();
        world.Origin = GitRepo.InitBare(world._dir.File("origin.git"));
        world.Author = GitRepo.InitWorking(world._dir.File("author"));
        world.Initial = world.Author.Commit("Initial commit", initialFiles ?? new Dictionary<string, string?> { ["README.md"] = "# Widgets\n\nHello.\n" });
        world.Author.Git("remote", "add", "origin", world.Origin.Path);
        world.Author.Git("push", "--quiet", "origin", "main");
        world.GitHub = await FakeGitHub.StartAsync(Repository, world.Origin.Path, Token);
        return world;
    }

    /// <summary>Commits on the author's main and pushes it to the origin; returns the sha.</summary>
    public string Push(string message, IReadOnlyDictionary<string, string?> files)
    {
        var sha = Author.Commit(message, files);
        Author.Git("push", "--quiet", "origin", "main");
        return sha;
    }

    /// <summary>The service's mirror of the repository (under its data directory).</summary>
    public static GitRepo Mirror(TestService service) => new(Path.Combine(service.DataDir, "mirrors", "octo", "widgets.git"));

    /// <summary>Entries of the mirror's `git worktree list` (1: the mirror alone, no job's worktree left).</summary>
    public static int WorktreeCount(TestService service) => Mirror(service).Git("worktree", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>A recorded GitHub payload pointed at this world's repository (default branch main, clone_url the bare repo).</summary>
    public string Payload(string eventName, string fixture, Action<JsonNode>? change = null) =>
        Fixtures.Modified(eventName, fixture, n =>
        {
            var repo = n["repository"]!;
            // A pull request from the repository's own branch stays one (not a fork's) in this world.
            if (n["pull_request"]?["head"]?["repo"] is JsonObject head && head["full_name"]?.GetValue<string>() == repo["full_name"]?.GetValue<string>())
                head["full_name"] = Repository;
            repo["full_name"] = Repository;
            repo["name"] = Repository.Split('/')[1];
            repo["owner"]!["login"] = Repository.Split('/')[0];
            repo["default_branch"] = "main";
            repo["clone_url"] = Origin.Path;
            change?.Invoke(n);
        });

    public GitHubSettings TokenSettings(int maxRetries = 3) => new()
    {
        ApiUrl = GitHub.ApiUrl,
        Token = Token,
        MaxRetries = maxRetries,
        RetryBaseDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryWait = TimeSpan.FromSeconds(5),
    };

    private readonly List<string> _writable = [];

    /// <summary>Lets the shipped agents' sandboxed scripts write <paramref name="path"/> too (where a test's script records what it saw).</summary>
    public void AllowWrites(string path) => _writable.Add(path);

    /// <summary>The routing with every agent of the shipped defaults allowed to write what <see cref="AllowWrites"/> named.</summary>
    private string WithWritable(string json)
    {
        if (_writable.Count == 0) return json;
        var routing = JsonNode.Parse(json, documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        foreach (var (_, agent) in routing["agents"]?.AsObject() ?? [])
            if (agent is JsonObject a) a["writablePaths"] = new JsonArray([.. _writable.Select(p => (JsonNode)p)]);
        return routing.ToJsonString();
    }

    /// <summary>The shipped routing with issues on the plan-only task agent (it gives them to the coder when a model is set).</summary>
    public static string TaskRouting
    {
        get
        {
            var routing = RoutingLoader.DefaultJson().Replace("\"github_issue\": { \"agent\": \"coder\"", "\"github_issue\": { \"agent\": \"task\"", StringComparison.Ordinal);
            Assert.Contains("\"github_issue\": { \"agent\": \"task\"", routing, StringComparison.Ordinal);
            return routing;
        }
    }

    /// <summary>The real service with the default routing (unless given) and these settings in place of the environment's.</summary>
    public Task<TestService> StartServiceAsync(GitHubSettings? github = null, LlmSettings? llm = null, NotifySettings? notify = null,
        string? routingJson = null, Action<AgentFactoryOptions>? configure = null, HostEnvironment? environment = null, Action<IServiceCollection>? services = null) =>
        TestService.StartAsync(routingJson: WithWritable(routingJson ?? RoutingLoader.DefaultJson()), environment: environment, configure: o =>
        {
            o.RetryBaseDelay = TimeSpan.Zero;
            configure?.Invoke(o);
        }, services: s =>
        {
            s.AddSingleton(github ?? TokenSettings());
            s.AddSingleton(llm ?? new LlmSettings());
            s.AddSingleton(notify ?? new NotifySettings());
            services?.Invoke(s);
        });

    /// <summary>
    /// Sends a signed delivery and waits for its one job to end. Each call is a delivery of its own, as
    /// GitHub's are: its body carries a fresh id (the same body again would be a replay, a duplicate).
    /// </summary>
    public static async Task<JobRecord> DeliverAsync(TestService service, string eventName, string body)
    {
        body = "{\"test_delivery\":\"" + Guid.NewGuid() + "\"," + body.TrimStart()[1..];
        var response = await service.Http.SendAsync(Fixtures.Delivery(eventName, body, TestService.Secret));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var jobId = JsonNode.Parse(text)!["jobs"]![0]!["id"]!.GetValue<long>();
        return await service.WaitForJobAsync(jobId, JobStatus.Completed, JobStatus.Failed);
    }

    public static void AssertCompleted(JobRecord job) =>
        Assert.True(job.Status == JobStatus.Completed, $"job {job.Id} is {job.Status}: {job.Error}\n{job.Output}");

    public async ValueTask DisposeAsync()
    {
        if (GitHub is not null) await GitHub.DisposeAsync();
        _dir.Dispose();
    }
}
