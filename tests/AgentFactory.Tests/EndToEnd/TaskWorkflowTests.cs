using AgentFactory.Models;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>The guide's Example 3: issue labeled agent-task → plan committed and pushed → one PR → one comment with its link.</summary>
public sealed class TaskWorkflowTests : IAsyncLifetime
{
    private AgentWorld _world = null!;

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync(new Dictionary<string, string?> { ["README.md"] = "# Widgets\n\nHelo.\n", ["src/app.py"] = "print('hi')\n" });
        _world.GitHub.AddIssue(1, "Fix the greeting in README.md", "The README.md says 'Helo'; it should say 'Hello'.", "agent-task");
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private string LabeledPayload() => _world.Payload("issues", "labeled", n =>
    {
        n["label"]!["name"] = "agent-task";
        n["issue"]!["number"] = 1;
    });

    [Fact]
    public async Task Labeled_issue_gets_a_plan_branch_one_pull_request_and_one_comment_even_when_delivered_twice()
    {
        await using var service = await _world.StartServiceAsync();

        var first = await AgentWorld.DeliverAsync(service, "issues", LabeledPayload());
        var second = await AgentWorld.DeliverAsync(service, "issues", LabeledPayload());

        AgentWorld.AssertCompleted(first);
        AgentWorld.AssertCompleted(second);
        var pr = Assert.Single(_world.GitHub.Pulls);
        Assert.Equal("agent-task/issue-1", pr["head"]!["ref"]!.GetValue<string>());
        Assert.Equal("main", pr["base"]!["ref"]!.GetValue<string>());
        Assert.Equal("Plan for #1: Fix the greeting in README.md", pr["title"]!.GetValue<string>());
        var prUrl = pr["html_url"]!.GetValue<string>();
        var comment = Assert.Single(_world.GitHub.AgentComments(1));
        Assert.Contains(prUrl, comment["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("Opened pull request", first.Output, StringComparison.Ordinal);
        Assert.StartsWith("Found open pull request", second.Output, StringComparison.Ordinal);

        var plan = _world.Origin.Git("show", "agent-task/issue-1:plans/issue-1.md");
        Assert.Contains("# Plan for #1: Fix the greeting in README.md", plan, StringComparison.Ordinal);
        Assert.Contains("- `README.md`", plan, StringComparison.Ordinal);
        Assert.Equal(_world.Initial, _world.Origin.Git("rev-parse", "agent-task/issue-1~1").Trim());
        Assert.Equal("Agent Factory", _world.Origin.Git("log", "-1", "--format=%an", "agent-task/issue-1").Trim());
        Assert.Equal(1, AgentWorld.WorktreeCount(service));
    }

    [Fact]
    public async Task With_an_llm_the_plan_is_the_models_and_the_prompt_has_the_issue_and_the_file_list()
    {
        await using var llm = await FakeOpenAiServer.StartAsync("# Plan\n\n1. Change `Helo` to `Hello` in README.md.");
        // The plan-only task agent, chosen in the routing file (the shipped routing gives issues to the coder when a model is set).
        await using var service = await _world.StartServiceAsync(llm: new LlmSettings { BaseUrl = llm.V1, Model = "planner" }, routingJson: AgentWorld.TaskRouting);

        var job = await AgentWorld.DeliverAsync(service, "issues", LabeledPayload());

        AgentWorld.AssertCompleted(job);
        var prompt = FakeOpenAiServer.UserMessage(Assert.Single(llm.Requests));
        Assert.Contains("it should say 'Hello'", prompt, StringComparison.Ordinal);
        Assert.Contains("src/app.py", prompt, StringComparison.Ordinal);
        var plan = _world.Origin.Git("show", "agent-task/issue-1:plans/issue-1.md");
        Assert.StartsWith("# Plan\n\n1. Change `Helo` to `Hello` in README.md.", plan, StringComparison.Ordinal);
        Assert.Contains("Plan by planner", plan, StringComparison.Ordinal);
        Assert.Single(_world.GitHub.Pulls);
    }
}
