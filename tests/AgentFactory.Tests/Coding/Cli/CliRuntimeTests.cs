using System.Net;
using System.Text;
using AgentFactory.Agents.Coding;
using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Tests.Models;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Coding.Cli;

/// <summary>
/// The CLI runtime with a fake CLI in the real sandbox, through the real gateway: its events become steps,
/// its edits stay in the worktree, its usage meets the budgets, and the sandbox holds a per-job token only.
/// </summary>
public sealed class CliRuntimeTests : IAsyncLifetime
{
    private CliWorld _world = null!;

    public async Task InitializeAsync() => _world = await CliWorld.StartAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private string Routing(string mode) => FakeCli.Routing(_world.Sandbox.Root, mode);

    [ToolFact("bwrap", "socat", "curl", "python3")]
    public async Task A_cli_that_fixes_the_bug_finishes_with_its_summary_its_events_as_steps_and_the_tests_passed()
    {
        var outcome = await _world.Runtime(Routing("fix"), "claude", checkpointEvery: 1).RunAsync(CliWorld.Task, _world.Run(), CancellationToken.None);

        Assert.Equal(CodingEnd.Finished, outcome.End);
        Assert.Equal("Fixed add(): it subtracted instead of adding.", outcome.Summary);
        Assert.Equal(TestOutcome.Passed, outcome.Tests);
        Assert.Equal(CliWorld.Fixed, _world.Read("calc.py"));
        var steps = _world.Steps.All;
        Assert.Equal(["system/init", "assistant", "tool_result", "assistant", "assistant", "result/success", "run_tests"], steps.Select(s => s.Name));
        Assert.All(steps.SkipLast(1), s => Assert.Equal(StepKinds.Cli, s.Kind));
        Assert.Contains("Read({\"file_path\":\"calc.py\"})", steps[1].Output);
        Assert.Equal(1200, steps[1].InputTokens);
        Assert.Equal("toolu_1", steps[2].CallId);
        // The result's totals are the CLI's word: the steps add up to them, priced at the catalog's prices.
        Assert.Equal(4300, steps.Sum(s => s.InputTokens));
        Assert.Equal(90, steps.Sum(s => s.OutputTokens));
        var spend = await _world.Ledger.JobSpendAsync(7, CancellationToken.None);
        Assert.Equal((4300L, 90L), (spend.InputTokens, spend.OutputTokens));
        Assert.Equal(4300 * 3m / 1_000_000 + 90 * 15m / 1_000_000, spend.Usd);
        // /metrics hears of the CLI's model use as of the model layer's own calls.
        Assert.Equal((4300L, 90L), (_world.Observer.Calls.Sum(c => c.InputTokens), _world.Observer.Calls.Sum(c => c.OutputTokens)));
        Assert.All(_world.Observer.Calls, c => Assert.Equal((7L, "claude"), (c.JobId, c.Model)));
        Assert.Equal(1, _world.Checkpoints); // one Edit event, a work-in-progress commit after every edit
    }

    [ToolFact("bwrap", "socat", "curl")]
    public async Task Attack_the_sandbox_holds_the_per_job_token_only_and_the_token_dies_with_the_run()
    {
        await _world.Runtime(Routing("fix"), "claude").RunAsync(CliWorld.Task, _world.Run(), CancellationToken.None);

        var held = _world.Read("held.txt");
        Assert.DoesNotContain(GatewayKit.AnthropicKey, held);
        Assert.DoesNotContain(GatewayKit.OpenAiKey, held);
        Assert.DoesNotContain(_world.Repo.Git("ls-files", "--others").Split('\n'), f => f.Length > 0 && _world.Read(f).Contains(GatewayKit.AnthropicKey, StringComparison.Ordinal));
        var token = held.Split('\n').Distinct().Single(l => l.StartsWith("ANTHROPIC_API_KEY=", StringComparison.Ordinal))["ANTHROPIC_API_KEY=".Length..];
        Assert.StartsWith("afgw-", token);
        Assert.Contains("ANTHROPIC_BASE_URL=http://models.agentfactory.internal", held);
        Assert.Contains("TASK=You are working in a git checkout of octo/widgets", held);
        // The model saw the real key from the gateway, never the token.
        var call = Assert.Single(_world.Kit.Anthropic.Messages);
        Assert.Equal(GatewayKit.AnthropicKey, call.Headers["x-api-key"]);
        Assert.DoesNotContain(_world.Kit.EverythingTheModelsSaw, v => v.Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(_world.StepTexts, t => t.Contains(token, StringComparison.Ordinal));
        // Stolen after the run: refused, nothing reaches the model.
        using var http = GatewayKit.UnixClient(_world.Kit.Gateway.SocketPath);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent("{\"model\":\"x\",\"max_tokens\":1,\"messages\":[]}", Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(_world.Kit.Anthropic.Messages);
    }

    [ToolFact("bwrap", "socat")]
    public async Task A_cli_still_running_at_the_deadline_is_killed_and_the_run_ends_on_the_wall_clock_budget()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var run = _world.Runtime(Routing("hang"), "claude").RunAsync(CliWorld.Task, _world.Run(wallClock: TimeSpan.FromMinutes(10), time: time), CancellationToken.None);
        await _world.Steps.WaitForAsync(s => s.Name == "system/init");

        time.Advance(TimeSpan.FromMinutes(11));
        var outcome = await run;

        Assert.Equal(CodingEnd.BudgetEnded, outcome.End);
        Assert.Equal(BudgetKind.WallClock, outcome.Budget);
        Assert.Contains("wall-clock budget", outcome.Detail);
        Assert.Equal("budget", _world.Steps.All[^1].Name);
    }

    [ToolFact("bwrap", "socat")]
    public async Task A_cli_that_spends_past_the_token_budget_is_stopped_and_what_it_spent_is_still_on_the_ledger()
    {
        var outcome = await _world.Runtime(Routing("spend"), "claude").RunAsync(CliWorld.Task, _world.Run(new BudgetLimits { InputTokens = 35_000 }), CancellationToken.None);

        Assert.Equal(CodingEnd.BudgetEnded, outcome.End);
        Assert.Equal(BudgetKind.InputTokens, outcome.Budget);
        Assert.Contains("input tokens per job", outcome.Detail);
        var spend = await _world.Ledger.JobSpendAsync(7, CancellationToken.None);
        // The fourth report passed 35,000; it was spent, so it counts, and so does any report the CLI wrote before it
        // died (one every 50 ms: how many depends on how fast the machine stops it, never 600).
        Assert.InRange(spend.InputTokens, 40_000, 990_000);
        Assert.Equal(spend.InputTokens, _world.Steps.All.Sum(s => s.InputTokens));
        Assert.True(_world.Steps.All.Count(s => s.Name == "assistant") < 100);
    }

    [ToolFact("bwrap", "socat")]
    public async Task A_job_whose_budget_is_already_spent_does_not_start_the_cli()
    {
        var scope = new BudgetScope(99, ModelKit.Repository, BudgetLimits.None);
        await _world.Ledger.SettleAsync(await _world.Ledger.ReserveAsync(scope, new BudgetCharge(0, 0, 5m), DateTimeOffset.UtcNow, CancellationToken.None), new BudgetCharge(0, 0, 5m), CancellationToken.None);

        var outcome = await _world.Runtime(Routing("fix"), "claude").RunAsync(CliWorld.Task, _world.Run(new BudgetLimits { UsdPerRepositoryPerDay = 5m }), CancellationToken.None);

        Assert.Equal(BudgetKind.UsdPerRepositoryPerDay, outcome.Budget);
        Assert.Empty(_world.Kit.Anthropic.Requests);
        Assert.Equal(CliWorld.Buggy, _world.Read("calc.py"));
    }

    [ToolFact("bwrap", "socat")]
    public async Task A_cli_that_fails_ends_the_run_failed_with_the_tail_of_its_output_and_no_token_in_it()
    {
        var outcome = await _world.Runtime(Routing("fail"), "claude").RunAsync(CliWorld.Task, _world.Run(), CancellationToken.None);

        Assert.Equal(CodingEnd.Failed, outcome.End);
        Assert.Equal(TestOutcome.NotRun, outcome.Tests);
        Assert.Contains("exited with code 3", outcome.Detail);
        Assert.Contains("fatal: the model refused: [job token]", outcome.Detail);
        Assert.DoesNotContain("afgw-", outcome.Detail);
        Assert.Equal("Trying.", outcome.Summary);
    }

    [ToolFact("bwrap", "socat")]
    public async Task A_cli_that_is_not_installed_fails_saying_how_to_install_it()
    {
        var run = _world.Run(env: new Dictionary<string, string> { ["PATH"] = "/nonexistent" });

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => _world.Runtime("""{"cli": "claude"}""", "claude").RunAsync(CliWorld.Task, run, CancellationToken.None));

        Assert.Contains("Could not start 'claude'", e.Message);
        Assert.Contains("npm install -g @anthropic-ai/claude-code", e.Message);
        Assert.Contains("\"executable\"", e.Message);
    }
}
