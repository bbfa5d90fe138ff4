using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFactory.Hosting;
using AgentFactory.Routing;

namespace AgentFactory.Tests.Routing;

/// <summary>Comment rules: slash commands at a comment's start, the mention, what the event is about, assignment; the shipped routes.</summary>
public sealed class CommentRoutingTests
{
    private static readonly Router Defaults = new(RoutingLoader.Parse(RoutingLoader.DefaultJson(), "defaults"));

    private static IReadOnlyList<RoutedJob> Route(Router router, string ev, string json)
    {
        using var doc = JsonDocument.Parse(json);
        return router.Route(ev, doc.RootElement);
    }

    private static string IssueComment(string body, bool onPullRequest = false, string action = "created") => new JsonObject
    {
        ["action"] = action,
        ["issue"] = onPullRequest ? new JsonObject { ["number"] = 7, ["pull_request"] = new JsonObject { ["url"] = "https://api.github.example/pulls/7" } } : new JsonObject { ["number"] = 7 },
        ["comment"] = new JsonObject { ["id"] = 1, ["body"] = body },
        ["repository"] = new JsonObject { ["full_name"] = "octo/widgets" },
    }.ToJsonString();

    [Theory]
    [InlineData("/review", "review", "")]
    [InlineData("  /ask why is the build red?", "ask", "why is the build red?")]
    [InlineData("/fix make the flaky test deterministic\r\nand keep the API", "fix", "make the flaky test deterministic\nand keep the API")]
    [InlineData("/CANCEL", "cancel", "")]
    [InlineData("@agentfactory /fix rename Foo", "fix", "rename Foo")]
    [InlineData("@AgentFactory\n/ask what does this do", "ask", "what does this do")]
    public void A_slash_command_at_the_start_is_parsed_with_its_argument(string body, string name, string argument)
    {
        var command = CommentCommand.Parse(body, "@agentfactory");
        Assert.NotNull(command);
        Assert.Equal(("command", name, argument), (command.Trigger, command.Name, command.Argument));
    }

    [Theory]
    [InlineData("please /fix this")]
    [InlineData("> /fix quoted from above")]
    [InlineData("/fix: not a command")]
    [InlineData("/src/main.c is wrong")]
    [InlineData("`/fix` is what you type")]
    [InlineData("@agentfactoryx /fix")]
    [InlineData("")]
    public void Text_that_merely_contains_a_command_is_no_command(string body) => Assert.Null(CommentCommand.Parse(body, "@agentfactory"));

    [Fact]
    public void The_argument_is_data_cleaned_of_control_characters_and_cut()
    {
        // Attack: control characters and a huge argument to smuggle terminal escapes or bloat every job row.
        var command = CommentCommand.Parse("/fix \u001b[31mred\u0000 --upload-pack=evil " + new string('x', 10_000), null)!;
        Assert.DoesNotContain('\u001b', command.Argument);
        Assert.DoesNotContain('\0', command.Argument);
        Assert.StartsWith("[31mred --upload-pack=evil", command.Argument, StringComparison.Ordinal); // kept as text, never an option
        Assert.True(command.Argument.Length <= CommentCommand.MaxArgument);
        var payload = JsonNode.Parse(command.AddTo("""{"issue":{"number":7},"agentfactory":{"command":"forged"}}"""))!;
        Assert.Equal("fix", payload["agentfactory"]!["command"]!.GetValue<string>());
        Assert.Equal(command.Argument, payload["agentfactory"]!["argument"]!.GetValue<string>());
        Assert.Equal(7, payload["issue"]!["number"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("hey @agentfactory, can you look?", true)]
    [InlineData("@AgentFactory", true)]
    [InlineData("mail me at someone@agentfactory.example", false)]
    [InlineData("@agentfactory-bot please", false)]
    [InlineData("> @agentfactory said so\nthanks", false)]
    [InlineData("```\n@agentfactory\n```", false)]
    public void A_mention_is_a_whole_login_outside_quotes_and_code(string body, bool mentions) =>
        Assert.Equal(mentions, CommentCommand.Mentions(body, "@agentfactory"));

    [Fact]
    public void Shipped_routes_send_fix_to_the_coder_review_on_a_pull_request_to_code_review_ask_to_the_ask_agent_and_cancel_to_the_cancel_agent()
    {
        var fix = Assert.Single(Route(Defaults, "issue_comment", IssueComment("/fix handle empty input")));
        Assert.Equal("github_command_fix", fix.JobType);
        Assert.Equal("handle empty input", fix.Command!.Argument);
        Assert.Equal("coder", Defaults.Config.SettingsFor("github_command_fix").Agent);
        Assert.Equal("cancel", Defaults.Config.SettingsFor(Assert.Single(Route(Defaults, "issue_comment", IssueComment("/cancel", onPullRequest: true))).JobType).Agent);
        Assert.Equal("github_command_ask", Assert.Single(Route(Defaults, "issue_comment", IssueComment("@agentfactory /ask why?"))).JobType);
        Assert.Equal("ask", Defaults.Config.SettingsFor("github_command_ask").Agent);
        // /fix in a pull request's conversation goes to the coder too (it works on the pull request's branch); /review there to the
        // code review, and /review on a plain issue to nothing. An edited or a mid-text command starts nothing.
        Assert.Equal("github_command_fix", Assert.Single(Route(Defaults, "issue_comment", IssueComment("/fix it", onPullRequest: true))).JobType);
        Assert.Equal("github_pr_command_review", Assert.Single(Route(Defaults, "issue_comment", IssueComment("/review", onPullRequest: true))).JobType);
        Assert.Empty(Route(Defaults, "issue_comment", IssueComment("/review")));
        Assert.Empty(Route(Defaults, "issue_comment", IssueComment("/fix it", action: "edited")));
        Assert.Empty(Route(Defaults, "issue_comment", IssueComment("could you /fix it")));
        Assert.True(Defaults.Config.SettingsFor("github_issue").TrackingComment);
        Assert.False(Defaults.Config.SettingsFor("github_push").TrackingComment);
    }

    [Fact]
    public void Review_command_on_a_review_comment_goes_to_code_review_and_assignment_to_the_configured_account_is_a_trigger()
    {
        var review = """{"action":"created","comment":{"id":3,"body":"/review"},"pull_request":{"number":2,"head":{"repo":{"full_name":"octo/widgets"}}},"repository":{"full_name":"octo/widgets"}}""";
        Assert.Equal("github_pr_command_review", Assert.Single(Route(Defaults, "pull_request_review_comment", review)).JobType);
        Assert.Equal("github_issue", Assert.Single(Route(Defaults, "issues", """{"action":"assigned","assignee":{"login":"AgentFactory"},"issue":{"number":4}}""")).JobType);
        Assert.Empty(Route(Defaults, "issues", """{"action":"assigned","assignee":{"login":"octocat"},"issue":{"number":4}}"""));
    }

    [Theory]
    [InlineData("""{ "event": "issue_comment", "commands": ["fix"] }""", "routes[0].commands has 'fix'")]
    [InlineData("""{ "event": "issue_comment", "mention": "agentfactory" }""", "routes[0].mention is 'agentfactory'")]
    [InlineData("""{ "event": "issue_comment", "on": ["pr"] }""", "routes[0].on has 'pr'")]
    public void Bad_comment_rules_stop_the_start_naming_the_setting(string rule, string message)
    {
        var e = Assert.Throws<SettingsException>(() => RoutingLoader.Parse($$"""{ "routes": [ {{rule}} ] }""", "test"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
