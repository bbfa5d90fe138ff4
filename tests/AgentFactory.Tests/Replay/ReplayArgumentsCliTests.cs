using AgentFactory.Cli;

namespace AgentFactory.Tests.Replay;

/// <summary>`agentfactory replay` refuses bad flags before reading anything: the message names the flag and what it accepts, the exit code is 2, never a stack trace.</summary>
public sealed class ReplayArgumentsCliTests : IAsyncLifetime
{
    private ReplayWorld _w = null!;

    public async Task InitializeAsync()
    {
        _w = await ReplayWorld.CreateAsync();
        await _w.StoreAsync("pr2-opened", _w.PullRequestPayload(2, _w.World.Initial, "opened"), "opened");
    }

    public async Task DisposeAsync() => await _w.DisposeAsync();

    private async Task Refused(string expected, params string[] args)
    {
        var (exit, output, err) = await _w.RunAsync(args);
        Assert.True(exit == ExitCodes.Usage, $"exit {exit}\n{output}\n{err}");
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.Empty(_w.GitHub.Requests);
        Assert.Empty(_w.Mini.Requests);
    }

    [Fact]
    public Task Without_dry_run_it_says_dry_run_is_required() =>
        Refused("replay runs only as a dry run in this version: add --dry-run.", "--event", "pull_request", "--agent", "code-review");

    [Fact]
    public Task An_unparsable_since_names_the_flag_and_the_accepted_forms() =>
        Refused("--since must be a duration back from now like 30m, 24h or 7d, or a timestamp like 2026-01-02T03:00:00Z (got 'last tuesday').",
            "--since", "last tuesday", "--event", "pull_request", "--agent", "code-review", "--dry-run");

    [Fact]
    public Task An_unknown_event_lists_the_events() =>
        Refused("--event must be one of pull_request, push, issues", "--event", "pull-request", "--agent", "code-review", "--dry-run");

    [Fact]
    public Task An_unknown_agent_lists_the_agents_replay_can_run() =>
        Refused("--agent must be one of code-review, task (an agent of kind code_review or task from the routing file) (got 'reviewer').",
            "--event", "pull_request", "--agent", "reviewer", "--dry-run");

    [Fact]
    public Task An_agent_that_pushes_with_git_is_refused_by_name() =>
        Refused("--agent 'coder' is of kind coder, which replay cannot run yet", "--event", "pull_request", "--agent", "coder", "--dry-run");

    [Fact]
    public Task An_unknown_model_lists_the_catalog() =>
        Refused("--model must be one of large, mini", "--event", "pull_request", "--agent", "code-review", "--model", "gpt-9", "--dry-run");

    [Fact]
    public Task Compare_names_a_missing_report() =>
        Refused("nope.json does not exist", "compare", "nope.json", "also-nope.json");
}
