using System.Text.Json.Nodes;
using AgentFactory.Agents.Coding;
using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Jobs;
using AgentFactory.Tests.Models;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.Coding.Cli;

/// <summary>
/// The real Claude Code and Codex CLIs, inside the real sandbox, through the real gateway, against the fake
/// model servers playing a scripted fix with each CLI's own tools: the file changes as scripted, the
/// transcript holds the CLI's events, and the model saw the real key from the gateway and never the token.
/// </summary>
public sealed class RealCliTests : IAsyncLifetime
{
    private CliWorld _world = null!;

    public async Task InitializeAsync() => _world = await CliWorld.StartAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private string Calc => Path.Combine(_world.Worktree, "calc.py");

    private static string Json(object value) => System.Text.Json.JsonSerializer.Serialize(value);

    [RealCliFact("claude")]
    public async Task Claude_Code_reads_and_edits_the_file_as_the_model_scripts_it()
    {
        _world.Kit.Anthropic.Script.Enqueue(
            ScriptedReply.Call("Read", Json(new { file_path = Calc }), "toolu_read"),
            ScriptedReply.Call("Edit", Json(new { file_path = Calc, old_string = "return a - b", new_string = "return a + b" }), "toolu_edit"),
            ScriptedReply.Say("Fixed add(): it subtracted instead of adding."));
        _world.Kit.Anthropic.Script.Default = ScriptedReply.Say("Done.");
        var routing = $$"""{"cli": "claude", "executable": "{{RealCli.Program("claude")}}"}""";

        var outcome = await _world.Runtime(routing, "claude").RunAsync(CliWorld.Task, _world.Run(), CancellationToken.None);

        Assert.True(outcome.End == CodingEnd.Finished, outcome.Detail);
        Assert.Equal(CliWorld.Fixed, _world.Read("calc.py"));
        Assert.Equal(TestOutcome.Passed, outcome.Tests);
        Assert.Contains("Fixed add()", outcome.Summary);
        var steps = _world.Steps.All;
        Assert.Contains(steps, s => s.Name == "system/init");
        Assert.Contains(steps, s => s.Name == "assistant" && s.Output!.Contains("Edit(", StringComparison.Ordinal));
        Assert.Contains(steps, s => s.Name == "tool_result" && s.CallId == "toolu_edit");
        Assert.Contains(steps, s => s.Name == "result/success");
        AssertKeyOnlyFromTheGateway(_world.Kit.Anthropic.Messages.ToList(), r => r.Headers.GetValueOrDefault("x-api-key"), GatewayKit.AnthropicKey);
    }

    [RealCliFact("codex")]
    public async Task Codex_reads_and_patches_the_file_as_the_model_scripts_it()
    {
        var patch = "*** Begin Patch\n*** Update File: calc.py\n@@\n def add(a, b):\n-    return a - b\n+    return a + b\n*** End Patch\n";
        _world.Kit.OpenAi.Script.Enqueue(
            ScriptedReply.Call("exec_command", Json(new { cmd = "cat calc.py" }), "call_read"),
            ScriptedReply.Call("exec_command", Json(new { cmd = $"apply_patch <<'EOF'\n{patch}EOF\n" }), "call_patch"),
            ScriptedReply.Say("Fixed add(): it subtracted instead of adding."));
        _world.Kit.OpenAi.Script.Default = ScriptedReply.Say("Done.");
        var routing = $$"""{"cli": "codex", "executable": "{{RealCli.Program("codex")}}"}""";

        var outcome = await _world.Runtime(routing, "gpt").RunAsync(CliWorld.Task, _world.Run(), CancellationToken.None);

        Assert.True(outcome.End == CodingEnd.Finished, outcome.Detail);
        Assert.Equal(CliWorld.Fixed, _world.Read("calc.py"));
        Assert.Equal(TestOutcome.Passed, outcome.Tests);
        Assert.Equal("Fixed add(): it subtracted instead of adding.", outcome.Summary);
        var steps = _world.Steps.All;
        Assert.Contains(steps, s => s.Name == "thread.started");
        Assert.Contains(steps, s => s.Name == "turn.completed" && s.InputTokens > 0);
        Assert.Contains(steps, s => s.Name == "item.completed:command_execution" && s.Output!.Contains("cat calc.py", StringComparison.Ordinal));
        Assert.DoesNotContain(steps, s => s.Output?.Contains("unrecognized configuration", StringComparison.Ordinal) == true);
        var names = string.Join(", ", steps.Select(s => s.Name));
        Assert.True(steps.Count < 40, names);
        // The second request carries the output of the first command: Codex ran it in the worktree.
        var second = _world.Kit.OpenAi.Responses.ElementAt(1);
        Assert.Contains("return a - b", JsonNode.Parse(second.Body)!["input"]!.ToJsonString());
        AssertKeyOnlyFromTheGateway(_world.Kit.OpenAi.Responses.ToList(), r => r.Authorization, "Bearer " + GatewayKit.OpenAiKey);
    }

    private void AssertKeyOnlyFromTheGateway(List<RecordedRequest> calls, Func<RecordedRequest, string?> credential, string expected)
    {
        Assert.NotEmpty(calls);
        Assert.All(calls, c => Assert.Equal(expected, credential(c)));
        Assert.DoesNotContain(_world.Kit.EverythingTheModelsSaw, v => v.Contains("afgw-", StringComparison.Ordinal));
        Assert.DoesNotContain(_world.StepTexts, t => t.Contains("afgw-", StringComparison.Ordinal));
        Assert.All(_world.Steps.All, s => Assert.True(s.Kind is StepKinds.Cli or StepKinds.Tool or StepKinds.Note));
    }
}
