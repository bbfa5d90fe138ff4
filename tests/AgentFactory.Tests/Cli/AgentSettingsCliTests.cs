using AgentFactory.Cli;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Cli;

/// <summary>The agents' settings are checked when the executable starts, with the variable named and no secret shown.</summary>
public sealed class AgentSettingsCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Routing_that_notifies_an_unconfigured_channel_stops_the_orchestrator_naming_the_variables()
    {
        File.WriteAllText(_dir.File("routing.json"), """{"jobs":{"github_release":{"agent":"log","notify":["telegram"]}}}""");
        var (exit, _, err) = await Support.Cli.RunAsync(_dir.Path, new Dictionary<string, string>(), "orchestrator");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("jobs.github_release.notify names \"telegram\", but TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not set", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_agent_variables_stop_the_start_without_echoing_secrets()
    {
        var (exit, _, err) = await Support.Cli.RunAsync(_dir.Path, new Dictionary<string, string>
        {
            ["TELEGRAM_BOT_TOKEN"] = "secret-looking-but-wrong",
            ["TELEGRAM_CHAT_ID"] = "-100",
            ["GITHUB_APP_ID"] = "7",
        }, "orchestrator");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("TELEGRAM_BOT_TOKEN does not look like a bot token", err, StringComparison.Ordinal);
        Assert.Contains("GITHUB_APP_ID is set but the App's private key is not", err, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-looking-but-wrong", err, StringComparison.Ordinal);
    }
}
