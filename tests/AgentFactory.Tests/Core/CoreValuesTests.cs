using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Queue;

namespace AgentFactory.Tests.Core;

/// <summary>Small rules kept with Core's values: liveness, reserved event names, the database's description.</summary>
public sealed class CoreValuesTests
{
    [Fact]
    public void An_orchestrator_is_alive_while_its_heartbeat_is_at_most_three_ticks_old()
    {
        var options = new AgentFactoryOptions { TickInterval = TimeSpan.FromSeconds(10) };
        var now = DateTimeOffset.UnixEpoch.AddHours(1);
        Assert.Equal(TimeSpan.FromSeconds(30), options.LivenessThreshold);
        Assert.Equal(TimeSpan.FromSeconds(100), options.HeartbeatRetention);
        Assert.True(options.IsAlive(now, now));
        Assert.True(options.IsAlive(now.AddSeconds(-30), now));
        Assert.False(options.IsAlive(now.AddSeconds(-30.001), now));
    }

    /// <summary>The defaults docs/configuration.md documents for each variable left unset.</summary>
    [Fact]
    public void Unset_settings_have_their_documented_defaults()
    {
        var options = new AgentFactoryOptions();
        Assert.Equal("data", options.DataDirectory);
        Assert.Equal("", options.ManualTriggerToken);
        Assert.Equal("", options.WebhookSecretSource);
        Assert.Equal("", options.ManualTokenSource);
        Assert.Equal("INFO", options.LogLevel);
        Assert.Equal("text", options.LogFormat);
        Assert.True(options.GitSyncEnabled);
        Assert.Equal(64L * 1024 * 1024, options.WebhookBodyBudgetBytes);
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(Environment.MachineName)}:{Environment.ProcessId}:[0-9a-f]{{6}}$", options.InstanceName);
        Assert.NotEqual(options.InstanceName, new AgentFactoryOptions().InstanceName);
    }

    [Fact]
    public void Webhook_secrets_are_kept_as_utf8_bytes_for_the_hmac()
    {
        var options = new AgentFactoryOptions();
        Assert.Empty(options.WebhookSecretBytes());
        options.WebhookSecrets = ["old-secret-éé-0123456789", "new-secret-0123456789abc"];
        Assert.Equal(["old-secret-éé-0123456789", "new-secret-0123456789abc"], options.WebhookSecrets);
        Assert.Equal([System.Text.Encoding.UTF8.GetBytes("old-secret-éé-0123456789"), "new-secret-0123456789abc"u8.ToArray()], options.WebhookSecretBytes());
    }

    [Fact]
    public void The_data_directory_holds_the_database_the_mirrors_and_the_worktrees()
    {
        var options = new AgentFactoryOptions { DataDirectory = "/var/lib/af" };
        Assert.Equal("/var/lib/af/agentfactory.db", options.SqlitePath);
        Assert.Equal("/var/lib/af/mirrors", options.MirrorDirectory);
        Assert.Equal("/var/lib/af/worktrees", options.WorktreeDirectory);
    }

    [Theory]
    [InlineData("heartbeat", true)]
    [InlineData("manual", true)]
    [InlineData("push", false)]
    [InlineData("Heartbeat", false)]
    public void Only_the_services_own_event_names_are_reserved(string name, bool reserved) =>
        Assert.Equal(reserved, InternalEvents.IsReserved(name));

    [Fact]
    public void A_refused_delivery_stored_nothing()
    {
        var refusal = DeliveryResult.Refusal("the payload holds a NUL character");
        Assert.False(refusal.Duplicate);
        Assert.Equal(0, refusal.EventId);
        Assert.Empty(refusal.JobIds);
        Assert.Equal("the payload holds a NUL character", refusal.Refused);
        Assert.Equal(TimeSpan.FromDays(3), NewWebhookEvent.ReplayWindow);
    }

    [Theory]
    [InlineData("sqlite", "/data/agentfactory.db", "SQLite at /data/agentfactory.db")]
    [InlineData("postgresql", "db.example.com:5432/agents", "PostgreSQL at db.example.com:5432/agents")]
    public void The_database_is_described_in_words_by_provider(string provider, string location, string words) =>
        Assert.Equal(words, new StoreInfo(provider, location).ToString());

    [Fact]
    public void A_job_with_no_steps_used_nothing() =>
        Assert.Equal(new JobUsage(0, 0, 0, 0, 0m), JobUsage.None);
}
