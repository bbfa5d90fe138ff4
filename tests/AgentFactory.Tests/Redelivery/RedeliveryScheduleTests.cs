using AgentFactory.Events;
using AgentFactory.GitHub;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Redelivery;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentFactory.Tests.Redelivery;

/// <summary>The orchestrator's redelivery schedule, against a real SQLite store and the local fake of GitHub's deliveries API.</summary>
public sealed class RedeliveryScheduleTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Schedule_keeps_running_through_github_failures_and_redelivers_once_github_answers()
    {
        await using var github = await FakeGitHubHooks.StartAsync("ghp_ok");
        const string hook = "repos/octo/app/hooks/3";
        var missed = github.AddDelivery(hook, "lost", DateTimeOffset.UtcNow.AddHours(-1), 502);
        github.AddDelivery(hook, "stored", DateTimeOffset.UtcNow.AddHours(-1), 502);
        github.Fail("GET", "/deliveries", 500, times: 2, body: FakeGitHub.ErrorBody("Server Error"));
        github.Fail("GET", "/deliveries", 401, times: 1, body: FakeGitHub.ErrorBody("Bad credentials"));

        using var store = new SqliteJobStore(_dir.File("af.db"), TimeProvider.System, new QueueSignal());
        await store.MigrateAsync(default);
        await store.RecordDeliveryAsync(new NewWebhookEvent("stored", "3", "push", null, "octo/app", "{}"), [], default);
        using var clients = new GitHubClients(new GitHubSettings { ApiUrl = github.ApiUrl, Token = "ghp_ok", MaxRetries = 0 }, TimeProvider.System, NullLogger<GitHubClients>.Instance);
        var settings = new RedeliverySettings { Interval = TimeSpan.FromMilliseconds(100), Targets = [HookTarget.Repository("octo/app", 3)] };
        using var schedule = new RedeliverySchedule(settings, new Redeliverer(new HookDeliveriesApi(clients), store), store, TimeProvider.System,
            NullLogger<RedeliverySchedule>.Instance);

        await schedule.StartAsync(default);
        await github.WaitForAsync(r => r.Method == "POST" && r.Path.EndsWith("/attempts", StringComparison.Ordinal));
        await schedule.StopAsync(default);

        Assert.True(schedule.Passes >= 3, $"passes: {schedule.Passes}");
        Assert.Equal([(hook, missed)], github.Redeliveries);
    }

    [Fact]
    public void Schedule_settings_are_validated_at_start_naming_the_variable()
    {
        var env = new Dictionary<string, string> { ["REDELIVER_INTERVAL_MINUTES"] = "15" };
        var e = Assert.Throws<AgentFactory.Hosting.SettingsException>(() =>
            AgentFactory.Hosting.IntegrationSettings.Load(n => env.GetValueOrDefault(n)));
        Assert.Contains("REDELIVER_TARGETS is empty", e.Message, StringComparison.Ordinal);

        env["REDELIVER_TARGETS"] = "repo:octo/app:1,bogus,app";
        env["REDELIVER_INTERVAL_MINUTES"] = "-1";
        e = Assert.Throws<AgentFactory.Hosting.SettingsException>(() =>
            AgentFactory.Hosting.IntegrationSettings.Load(n => env.GetValueOrDefault(n)));
        Assert.Contains("REDELIVER_INTERVAL_MINUTES must be a whole number from 0 to 1440", e.Message, StringComparison.Ordinal);
        Assert.Contains("REDELIVER_TARGETS: 'bogus' is not", e.Message, StringComparison.Ordinal);

        env["REDELIVER_INTERVAL_MINUTES"] = "15";
        e = Assert.Throws<AgentFactory.Hosting.SettingsException>(() =>
            AgentFactory.Hosting.IntegrationSettings.Load(n => env.GetValueOrDefault(n)));
        Assert.Contains("set GITHUB_TOKEN", e.Message, StringComparison.Ordinal);
        Assert.Contains("names the App hook (app): set GITHUB_APP_ID", e.Message, StringComparison.Ordinal);
    }
}
