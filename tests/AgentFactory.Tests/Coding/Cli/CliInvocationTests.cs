using System.Text;
using AgentFactory.Agents.Coding.Cli;
using AgentFactory.Tests.Models;

namespace AgentFactory.Tests.Coding.Cli;

/// <summary>What each CLI is given: its headless flags, the gateway and the job's token, the task on stdin (aider: one --message= argument).</summary>
public sealed class CliInvocationTests : IAsyncLifetime
{
    private const string Hostile = "--dangerously-load-this\n$(rm -rf ~)";

    private GatewayKit _kit = null!;

    public async Task InitializeAsync() => _kit = await GatewayKit.StartAsync();

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Theory]
    [InlineData(CliKind.Claude, "claude", "ANTHROPIC_API_KEY", "-p --output-format stream-json --verbose --model claude-sonnet-4-5 --permission-mode bypassPermissions --strict-mcp-config --max-turns 7")]
    [InlineData(CliKind.Codex, "gpt", "OPENAI_API_KEY", "exec --json --dangerously-bypass-approvals-and-sandbox --ephemeral --skip-git-repo-check --color never -m gpt-5-codex")]
    public async Task Attack_the_task_goes_on_stdin_never_into_argv_and_the_key_variable_holds_the_token(CliKind kind, string model, string keyVariable, string argsStart)
    {
        using var grant = await _kit.GrantAsync(model);

        var spec = CliInvocation.Build(new CliSettings { Cli = kind, Model = model }, grant, Hostile, "/w", new Dictionary<string, string> { ["PATH"] = "/usr/bin" }, turnsLeft: 7);

        Assert.StartsWith(argsStart, string.Join(' ', spec.Arguments), StringComparison.Ordinal);
        Assert.DoesNotContain(spec.Arguments, a => a.Contains("rm -rf", StringComparison.Ordinal));
        Assert.Equal(Hostile, Encoding.UTF8.GetString(spec.Stdin!));
        Assert.Equal(grant.Token, spec.Environment[keyVariable]);
        Assert.DoesNotContain(spec.Environment.Values, v => v.Contains(GatewayKit.AnthropicKey, StringComparison.Ordinal) || v.Contains(GatewayKit.OpenAiKey, StringComparison.Ordinal));
        Assert.Equal("/w", spec.WorkingDirectory);
    }

    [Fact]
    public async Task Codex_gets_a_provider_of_its_own_pointing_at_the_gateway()
    {
        using var grant = await _kit.GrantAsync("gpt");

        var spec = CliInvocation.Build(new CliSettings { Cli = CliKind.Codex, Model = "gpt" }, grant, "task", "/w", new Dictionary<string, string>(), null);

        Assert.Contains("model_providers.agentfactory.base_url=\"http://models.agentfactory.internal/v1\"", spec.Arguments);
        Assert.Contains("model_providers.agentfactory.env_key=\"OPENAI_API_KEY\"", spec.Arguments);
        Assert.Equal("-", spec.Arguments[^1]);
    }

    [Fact]
    public async Task Aider_gets_the_task_as_one_message_argument_and_keeps_its_history_out_of_the_worktree()
    {
        using var grant = await _kit.GrantAsync("claude");

        var spec = CliInvocation.Build(new CliSettings { Cli = CliKind.Aider, Model = "claude" }, grant, Hostile, "/w", new Dictionary<string, string>(), null);

        Assert.Equal("aider", spec.FileName);
        Assert.Equal("--message=" + Hostile, spec.Arguments[0]);
        Assert.Contains("--yes-always", spec.Arguments);
        Assert.Contains("--no-auto-commits", spec.Arguments);
        Assert.Contains("--model=anthropic/claude-sonnet-4-5", spec.Arguments);
        Assert.Contains("--chat-history-file=/tmp/.aider.chat.history.md", spec.Arguments);
        Assert.Equal("http://models.agentfactory.internal", spec.Environment["ANTHROPIC_BASE_URL"]);
    }

    [Fact]
    public void A_command_without_a_model_gets_no_gateway_variables()
    {
        var spec = CliInvocation.Build(new CliSettings { Cli = CliKind.Command, Command = "./agent.sh" }, null, "task", "/w", new Dictionary<string, string> { ["PATH"] = "/usr/bin" }, null);

        Assert.Equal(("/bin/sh", "-c ./agent.sh"), (spec.FileName, string.Join(' ', spec.Arguments)));
        Assert.DoesNotContain(spec.Environment.Keys, k => k.Contains("API", StringComparison.Ordinal) || k.StartsWith("AGENTFACTORY", StringComparison.Ordinal));
    }
}
