using System.Text.Json;
using AgentFactory.Agents;
using AgentFactory.Agents.Coding.Cli;
using AgentFactory.Tests.Models;

namespace AgentFactory.Tests.Coding.Cli;

/// <summary>The CLI runtime's settings: each mistake is named by its setting, with the accepted values.</summary>
public sealed class CliSettingsTests : IAsyncLifetime
{
    private GatewayKit _kit = null!;

    public async Task InitializeAsync() => _kit = await GatewayKit.StartAsync();

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private CliSettings Parse(string json, string? model)
    {
        using var raw = JsonDocument.Parse(json);
        return CliSettings.Parse("fixer", raw.RootElement, model, _kit.Catalog);
    }

    [Theory]
    [InlineData("""{"cli": "claude"}""", "claude", CliKind.Claude)]
    [InlineData("""{"cli": "Codex"}""", "gpt", CliKind.Codex)]
    [InlineData("""{"cli": "aider"}""", "gpt", CliKind.Aider)]
    [InlineData("""{"cli": "command", "command": "./agent.sh"}""", null, CliKind.Command)]
    public void Accepts_each_cli(string json, string? model, CliKind kind) => Assert.Equal(kind, Parse(json, model).Cli);

    [Fact]
    public void A_command_without_a_configured_model_runs_without_one() =>
        Assert.Null(Parse("""{"cli": "command", "command": "./agent.sh"}""", "default").Model);

    [Theory]
    [InlineData("""{}""", "claude", "agents.fixer.cli must be \"claude\" (Claude Code), \"codex\"")]
    [InlineData("""{"cli": "cursor"}""", "claude", "got 'cursor'")]
    [InlineData("""{"cli": 3}""", "claude", "agents.fixer.cli must be a string")]
    [InlineData("""{"cli": "command"}""", null, "agents.fixer.command is required")]
    [InlineData("""{"cli": "claude", "command": "x"}""", "claude", "agents.fixer.command is only for \"cli\": \"command\"")]
    [InlineData("""{"cli": "claude", "executable": "claude"}""", "claude", "agents.fixer.executable must be the absolute path")]
    [InlineData("""{"cli": "claude"}""", "nope", "agents.fixer.model names 'nope', which is not configured")]
    [InlineData("""{"cli": "claude"}""", "gpt", "Claude Code speaks Anthropic's Messages API")]
    [InlineData("""{"cli": "codex"}""", "claude", "the Codex CLI speaks OpenAI's Responses API")]
    public void Refuses_a_bad_setting_by_name(string json, string? model, string message)
    {
        var e = Assert.Throws<AgentConfigurationException>(() => Parse(json, model));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
