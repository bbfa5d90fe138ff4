using AgentFactory.Hosting;

namespace AgentFactory.Tests.Hosting;

/// <summary>RETENTION_COMPLETED_DAYS / RETENTION_EVENTS_DAYS and DATABASE_LISTEN as SettingsLoader reads them.</summary>
public sealed class RetentionSettingsTests
{
    private static SettingsException Rejects(params (string Key, string Value)[] vars)
    {
        var env = vars.ToDictionary(v => v.Key, v => v.Value);
        return Assert.Throws<SettingsException>(() => SettingsLoader.Load(k => env.GetValueOrDefault(k), createSecrets: false));
    }

    private static AgentFactory.Options.AgentFactoryOptions Load(params (string Key, string Value)[] vars)
    {
        var env = vars.ToDictionary(v => v.Key, v => v.Value);
        return SettingsLoader.Load(k => env.GetValueOrDefault(k), createSecrets: false);
    }

    [Fact]
    public void Defaults_keep_finished_jobs_a_week_and_events_a_month_and_listen()
    {
        var o = Load();
        Assert.Equal(TimeSpan.FromDays(7), o.RetentionCompleted);
        Assert.Equal(TimeSpan.FromDays(30), o.RetentionEvents);
        Assert.True(o.DatabaseListen);
    }

    [Fact]
    public void Zero_means_keep_forever_and_fractions_are_allowed()
    {
        var o = Load(("RETENTION_COMPLETED_DAYS", "0"), ("RETENTION_EVENTS_DAYS", "0.5"), ("DATABASE_LISTEN", "false"));
        Assert.Equal(TimeSpan.Zero, o.RetentionCompleted);
        Assert.Equal(TimeSpan.FromHours(12), o.RetentionEvents);
        Assert.False(o.DatabaseListen);
    }

    [Theory]
    [InlineData("RETENTION_COMPLETED_DAYS", "-1")]
    [InlineData("RETENTION_COMPLETED_DAYS", "a week")]
    [InlineData("RETENTION_EVENTS_DAYS", "40000")]
    [InlineData("DATABASE_LISTEN", "maybe")]
    public void Invalid_values_are_rejected_naming_the_variable(string key, string value)
    {
        var e = Rejects((key, value));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
        Assert.Contains(value, e.Message, StringComparison.Ordinal);
    }
}
