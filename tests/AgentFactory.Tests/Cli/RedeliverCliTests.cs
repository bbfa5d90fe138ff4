using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AgentFactory.Cli;
using AgentFactory.Events;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.Cli;

/// <summary>`agentfactory redeliver`, run as the real executable against a real SQLite file and a local fake of GitHub's deliveries API.</summary>
public sealed class RedeliverCliTests : IAsyncLifetime, IDisposable
{
    private const string Token = "ghp_valid_token";
    private const string RepoHook = "repos/octo/app/hooks/1";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDir _dir = new();
    private FakeGitHubHooks _github = null!;

    public async Task InitializeAsync() => _github = await FakeGitHubHooks.StartAsync(Token);

    public async Task DisposeAsync() => await _github.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string> Env(string token = Token) => new() { ["GITHUB_TOKEN"] = token, ["GITHUB_API_URL"] = _github.ApiUrl.ToString() };

    private Task<(int Exit, string Out, string Err)> Run(Dictionary<string, string> env, params string[] args) =>
        AgentFactory.Tests.Support.Cli.RunAsync(_dir.Path, env, ["redeliver", .. args]);

    /// <summary>Deliveries this service stored, as ingest would have recorded them.</summary>
    private async Task StoreAsync(params (string Guid, string Hook)[] deliveries)
    {
        using (var store = new SqliteJobStore(Path.Combine(_dir.Path, "data", "agentfactory.db"), TimeProvider.System, new QueueSignal()))
        {
            await store.MigrateAsync(default);
            foreach (var (guid, hook) in deliveries)
                await store.RecordDeliveryAsync(new NewWebhookEvent(guid, hook, "push", null, "octo/app", "{}"), [], default);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private IReadOnlyList<long> Asked(string hook) => [.. _github.Redeliveries.Where(r => r.Hook == hook).Select(r => r.Id)];

    [Fact]
    public async Task Missed_deliveries_are_redelivered_once_per_guid_and_stored_or_already_redelivered_ones_are_skipped()
    {
        await StoreAsync(("stored-but-github-timed-out", "1"));
        var failedTwice = _github.AddDelivery(RepoHook, "failed", Now.AddHours(-3), 502);
        var failedAgain = _github.AddDelivery(RepoHook, "failed", Now.AddHours(-2), 0, redelivery: true);
        var proxyAnswered = _github.AddDelivery(RepoHook, "ok-not-stored", Now.AddHours(-2), 200);
        _github.AddDelivery(RepoHook, "stored-but-github-timed-out", Now.AddHours(-1), 504);
        _github.AddDelivery(RepoHook, "fixed-later", Now.AddHours(-5), 500);
        _github.AddDelivery(RepoHook, "fixed-later", Now.AddHours(-4), 200, redelivery: true);

        var (exit, output, err) = await Run(Env(), "--repo", "octo/app", "--hook-id", "1");

        Assert.True(exit == ExitCodes.Ok, err);
        Assert.Equal([failedAgain, proxyAnswered], Asked(RepoHook).Order());
        Assert.DoesNotContain(failedTwice, Asked(RepoHook));
        Assert.Contains("page 1", err, StringComparison.Ordinal);
        Assert.Contains("2 of 2", err, StringComparison.Ordinal);
        Assert.Contains("Redelivered 2 of 2.", output, StringComparison.Ordinal);

        // The redeliveries now show as successful attempts: a second run asks for nothing.
        (exit, output, _) = await Run(Env(), "--repo", "octo/app", "--hook-id", "1");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal(2, Asked(RepoHook).Count);
        Assert.Contains("0 missed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_are_followed_by_cursor_until_deliveries_are_older_than_since()
    {
        for (var i = 0; i < 250; i++) // one every 10 minutes: 100 a page, so page 2 reaches past 24 h and page 3 is never read
            _github.AddDelivery(RepoHook, $"g{i}", Now.AddMinutes(-10 * i - 1), i is 130 or 170 ? 500 : 200);
        await StoreAsync([.. Enumerable.Range(0, 250).Where(i => i is not (130 or 170)).Select(i => ($"g{i}", "1"))]);

        var (exit, output, err) = await Run(Env(), "--repo", "octo/app", "--hook-id", "1", "--since", "24h");

        Assert.True(exit == ExitCodes.Ok, err);
        var pages = _github.Requests.Where(r => r.Method == "GET" && r.Path.EndsWith("/deliveries", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, pages.Count);
        Assert.Contains("per_page=100", pages[0].Query, StringComparison.Ordinal);
        Assert.Contains("cursor=v1_100", pages[1].Query, StringComparison.Ordinal);
        var redelivered = Assert.Single(_github.Redeliveries);
        Assert.Contains("g130", output, StringComparison.Ordinal); // 21.7 h ago; g170 (28.3 h) is outside --since
        Assert.DoesNotContain("g170", output, StringComparison.Ordinal);
        Assert.Equal(RepoHook, redelivered.Hook);
    }

    [Fact]
    public async Task Dry_run_lists_an_organisation_hooks_missed_deliveries_as_json_and_changes_nothing()
    {
        await StoreAsync();
        _github.AddDelivery("orgs/acme/hooks/9", "lost", Now.AddHours(-1), 503, @event: "issues", action: "labeled");

        var (exit, output, err) = await Run(Env(), "--org", "acme", "--hook-id", "9", "--dry-run", "--json");

        Assert.True(exit == ExitCodes.Ok, err);
        Assert.Empty(_github.Redeliveries);
        Assert.DoesNotContain(_github.Requests, r => r.Method == "POST");
        var json = JsonNode.Parse(output)!;
        Assert.True(json["dry_run"]!.GetValue<bool>());
        Assert.Equal(0, json["redelivered"]!.GetValue<int>());
        var missed = Assert.Single(json["missed"]!.AsArray())!;
        Assert.Equal("lost", missed["guid"]!.GetValue<string>());
        Assert.Equal("labeled", missed["action"]!.GetValue<string>());
        Assert.Equal(503, missed["status_code"]!.GetValue<int>());
    }

    [Fact]
    public async Task App_hook_is_read_and_redelivered_with_the_app_jwt()
    {
        await StoreAsync(("app-stored", "555"));
        using var key = RSA.Create(2048);
        _github.AppId = 4242;
        _github.AppPublicKey = key;
        var missed = _github.AddDelivery("app/hook", "app-missed", Now.AddHours(-1), 500);
        _github.AddDelivery("app/hook", "app-stored", Now.AddHours(-1), 500);
        var env = new Dictionary<string, string>
        {
            ["GITHUB_API_URL"] = _github.ApiUrl.ToString(), ["GITHUB_APP_ID"] = "4242", ["GITHUB_APP_PRIVATE_KEY"] = key.ExportRSAPrivateKeyPem(),
        };

        var (exit, _, err) = await Run(env, "--app");

        Assert.True(exit == ExitCodes.Ok, err);
        Assert.Equal([missed], Asked("app/hook"));
        Assert.All(_github.Requests.Where(r => r.Path.Contains("/app/hook/", StringComparison.Ordinal)),
            r => Assert.StartsWith("Bearer ey", r.Authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rejected_token_exits_with_the_configuration_code_and_names_the_setting()
    {
        await StoreAsync();
        var (exit, _, err) = await Run(Env("ghp_revoked"), "--repo", "octo/app", "--hook-id", "1");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("GitHub rejected GITHUB_TOKEN", err, StringComparison.Ordinal);
        Assert.Contains("Set GITHUB_TOKEN", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_credentials_and_bad_options_are_usage_errors_that_say_what_to_set()
    {
        await StoreAsync();
        var (exit, _, err) = await Run(new() { ["GITHUB_API_URL"] = _github.ApiUrl.ToString() }, "--repo", "octo/app", "--hook-id", "1");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("set GITHUB_TOKEN or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY", err, StringComparison.Ordinal);

        (exit, _, err) = await Run(Env(), "--repo", "octo/app");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--hook-id is required", err, StringComparison.Ordinal);

        (exit, _, err) = await Run(Env(), "--app", "--since", "yesterday");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--since must be", err, StringComparison.Ordinal);
        Assert.Empty(_github.Requests);
    }
}
