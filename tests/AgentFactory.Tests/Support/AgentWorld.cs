using System.Text.Json.Nodes;
using AgentFactory.GitHub;
using AgentFactory.Agents.Llm;
using AgentFactory.Notify;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Routing;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Support;

/// <summary>
/// Everything an agent end-to-end test needs: a bare repository standing in for GitHub's copy
/// (served by <see cref="FakeGitHub"/>), an author's clone to push from, and the service's shared
/// clone (GIT_SYNC_PATH), made before the test's own commits so agents must fetch what they need.
/// </summary>
public sealed class AgentWorld : IAsyncDisposable
{
    public const string Repository = "octo/widgets";
    public const string Token = "ghp_test_token_for_the_fake_github_0001";

    private readonly TempDir _dir = new();

    public GitRepo Origin { get; private set; } = null!;
    public GitRepo Author { get; private set; } = null!;
    public GitRepo Shared { get; private set; } = null!;
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
        world.Shared = GitRepo.Clone(world.Origin.Path, world._dir.File("shared"));
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

    /// <summary>A recorded GitHub payload pointed at this world's repository (default branch main, clone_url the bare repo).</summary>
    public string Payload(string eventName, string fixture, Action<JsonNode>? change = null) =>
        Fixtures.Modified(eventName, fixture, n =>
        {
            var repo = n["repository"]!;
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

    /// <summary>The real service with the default routing (unless given) and these settings in place of the environment's.</summary>
    public Task<TestService> StartServiceAsync(GitHubSettings? github = null, LlmSettings? llm = null, NotifySettings? notify = null,
        string? routingJson = null, Action<AgentFactoryOptions>? configure = null) =>
        TestService.StartAsync(routingJson: routingJson ?? RoutingLoader.DefaultJson(), configure: o =>
        {
            o.GitSyncPath = Shared.Path;
            o.RetryBaseDelay = TimeSpan.Zero;
            configure?.Invoke(o);
        }, services: s =>
        {
            s.AddSingleton(github ?? TokenSettings());
            s.AddSingleton(llm ?? new LlmSettings());
            s.AddSingleton(notify ?? new NotifySettings());
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
