using System.Text.Json;
using AgentFactory.Routing;

namespace AgentFactory.Tests.Routing;

/// <summary>Each condition of a routing rule, on its own: what matches it and what does not.</summary>
public sealed class RouterRuleTests
{
    private static Router Rules(string routes) => new(RoutingLoader.Parse("{ \"routes\": [" + routes + "] }", "routing.json"));

    private static IReadOnlyList<RoutedJob> Route(Router router, string ev, string json)
    {
        using var doc = JsonDocument.Parse(json);
        return router.Route(ev, doc.RootElement);
    }

    private static bool Matches(string rule, string ev, string json) => Route(Rules(rule), ev, json).Count > 0;

    [Fact]
    public void Two_rules_for_one_job_type_make_one_job_with_the_first_rules_priority()
    {
        var router = Rules("""
            { "event": "issues", "jobType": "triage", "priority": 5 },
            { "event": "*", "jobType": "triage", "priority": 9 },
            { "event": "issues", "jobType": "audit", "priority": 1 }
            """);
        Assert.Equal([new RoutedJob("triage", 5), new RoutedJob("audit", 1)], Route(router, "issues", """{"action":"opened"}"""));
    }

    [Fact]
    public void The_event_matches_in_any_case_and_the_default_job_type_names_the_event()
    {
        Assert.Equal([new RoutedJob("github_Issues", 0)], Route(Rules("""{ "event": "issues" }"""), "Issues", "{}"));
        Assert.Empty(Route(Rules("""{ "event": "issues" }"""), "issue_comment", "{}"));
    }

    [Theory]
    [InlineData("""{"action":"opened"}""", true)]
    [InlineData("""{"action":"Reopened"}""", true)]
    [InlineData("""{"action":"closed"}""", false)]
    [InlineData("""{"action":7}""", false)]
    [InlineData("{}", false)]
    public void Listed_actions_match_in_any_case_and_a_payload_without_one_matches_none(string payload, bool matches) =>
        Assert.Equal(matches, Matches("""{ "event": "issues", "actions": ["opened", "reopened"], "jobType": "x" }""", "issues", payload));

    [Fact]
    public void An_event_without_an_action_matches_a_rule_that_lists_the_empty_action()
    {
        const string rule = """{ "event": "*", "actions": ["", "opened"], "jobType": "x" }""";
        Assert.True(Matches(rule, "push", """{"ref":"refs/heads/main"}"""));
        Assert.True(Matches(rule, "issues", """{"action":"opened"}"""));
        Assert.False(Matches(rule, "issues", """{"action":"closed"}"""));
    }

    [Theory]
    [InlineData("created", true)]
    [InlineData("edited", false)]
    [InlineData("deleted", false)]
    [InlineData(null, true)]
    public void A_comment_rule_without_actions_reads_new_comments_only(string? action, bool matches)
    {
        var payload = JsonSerializer.Serialize(new Dictionary<string, object?> { ["action"] = action, ["comment"] = new { body = "/fix it" } });
        if (action is null) payload = """{"comment":{"body":"/fix it"}}""";
        Assert.Equal(matches, Matches("""{ "event": "issue_comment", "commands": ["/fix"], "jobType": "x" }""", "issue_comment", payload));
        // A rule that lists its actions decides for itself.
        Assert.Equal(action is "edited", Matches("""{ "event": "issue_comment", "commands": ["/fix"], "actions": ["edited"], "jobType": "x" }""", "issue_comment", payload));
    }

    [Fact]
    public void A_rule_that_reads_no_comment_matches_edits_too() =>
        Assert.True(Matches("""{ "event": "issue_comment", "jobType": "x" }""", "issue_comment", """{"action":"edited","comment":{"body":"hi"}}"""));

    [Theory]
    [InlineData("""{"issue":{"number":1}}""", "issue", true)]
    [InlineData("""{"issue":{"number":1,"pull_request":{"url":"u"}}}""", "issue", false)]
    [InlineData("""{"issue":{"number":1,"pull_request":{"url":"u"}}}""", "pull_request", true)]
    [InlineData("""{"pull_request":{"number":1}}""", "pull_request", true)]
    [InlineData("""{"pull_request":{"number":1}}""", "issue", false)]
    [InlineData("{}", "issue", false)]
    [InlineData("""{"issue":"1"}""", "issue", false)]
    public void On_matches_what_the_event_is_about(string payload, string on, bool matches) =>
        Assert.Equal(matches, Matches($$"""{ "event": "*", "on": ["{{on}}"], "jobType": "x" }""", "issue_comment", payload));

    [Theory]
    [InlineData("agentfactory", true)]
    [InlineData("AgentFactory", true)]
    [InlineData("someone", false)]
    public void Assignees_match_the_login_just_assigned_with_or_without_its_at_sign(string login, bool matches)
    {
        var payload = "{\"action\":\"assigned\",\"assignee\":{\"login\":\"" + login + "\"}}";
        Assert.Equal(matches, Matches("""{ "event": "issues", "assignees": ["@agentfactory"], "jobType": "x" }""", "issues", payload));
        Assert.Equal(matches, Matches("""{ "event": "issues", "assignees": ["agentfactory"], "jobType": "x" }""", "issues", payload));
        Assert.False(Matches("""{ "event": "issues", "assignees": ["agentfactory"], "jobType": "x" }""", "issues", """{"action":"assigned"}"""));
    }

    [Fact]
    public void A_branch_deletion_matches_only_a_rule_that_includes_deletions()
    {
        const string deletion = """{"ref":"refs/heads/old","deleted":true}""";
        Assert.False(Matches("""{ "event": "push", "jobType": "x" }""", "push", deletion));
        Assert.True(Matches("""{ "event": "push", "jobType": "x", "includeDeletions": true }""", "push", deletion));
        Assert.True(Matches("""{ "event": "push", "jobType": "x" }""", "push", """{"ref":"refs/heads/old","deleted":false}"""));
        Assert.True(Matches("""{ "event": "*", "jobType": "x" }""", "create", """{"ref":"old","deleted":true}"""));
    }

    [Theory]
    [InlineData("""{"repository":{"full_name":"acme/api"}}""", true)]
    [InlineData("""{"repository":{"full_name":"acme/api-old"}}""", false)]
    [InlineData("""{"repository":{"full_name":"xacme/api"}}""", false)]
    [InlineData("""{"repository":{}}""", false)]
    [InlineData("{}", false)]
    public void Repository_globs_match_the_whole_name(string payload, bool matches) =>
        Assert.Equal(matches, Matches("""{ "event": "*", "repositories": ["acme/api", "other/*"], "jobType": "x" }""", "issues", payload));

    [Fact]
    public void A_star_matches_every_repository_and_branch() =>
        Assert.True(Matches("""{ "event": "push", "repositories": ["*"], "branches": ["*"], "jobType": "x" }""", "push",
            """{"ref":"refs/heads/any/thing","repository":{"full_name":"whoever/whatever"}}"""));

    [Theory]
    [InlineData("push", """{"ref":"refs/heads/trunk","repository":{"default_branch":"trunk"}}""", true)]
    [InlineData("push", """{"ref":"refs/heads/main","repository":{"default_branch":"trunk"}}""", false)]
    [InlineData("push", """{"ref":"refs/tags/trunk","repository":{"default_branch":"trunk"}}""", false)]
    [InlineData("pull_request", """{"pull_request":{"base":{"ref":"trunk"}},"repository":{"default_branch":"trunk"}}""", true)]
    [InlineData("pull_request", """{"pull_request":{"base":{"ref":"feature"}},"repository":{"default_branch":"trunk"}}""", false)]
    [InlineData("pull_request", """{"repository":{"default_branch":"trunk"}}""", false)]
    public void Default_names_the_repositorys_default_branch_the_push_or_the_pull_requests_base(string ev, string payload, bool matches) =>
        Assert.Equal(matches, Matches("""{ "event": "*", "branches": ["$default"], "jobType": "x" }""", ev, payload));

    [Theory]
    [InlineData("push", """{"ref":"refs/heads/main"}""", "main")]
    [InlineData("push", """{"ref":"refs/heads/release/2.0"}""", "release/2.0")]
    [InlineData("push", """{"ref":"refs/tags/v1"}""", null)]
    [InlineData("push", """{"ref":"main"}""", null)]
    [InlineData("push", "{}", null)]
    [InlineData("pull_request", """{"pull_request":{"base":{"ref":"main"}},"ref":"refs/heads/other"}""", "main")]
    [InlineData("create", """{"ref":"refs/heads/main"}""", null)]
    public void The_branch_of_an_event_is_the_pushed_branch_or_the_pull_requests_base(string ev, string payload, string? branch)
    {
        using var doc = JsonDocument.Parse(payload);
        Assert.Equal(branch, Router.BranchOf(ev, doc.RootElement));
    }

    [Theory]
    [InlineData("""{"label":{"name":"Agent-Task"}}""", true)]
    [InlineData("""{"label":{"name":"bug"},"issue":{"labels":[{"name":"agent-task"}]}}""", false)]
    [InlineData("""{"issue":{"labels":[{"name":"bug"},{"name":"AGENT-TASK"}]}}""", true)]
    [InlineData("""{"pull_request":{"labels":[{"name":"agent-task"}]}}""", true)]
    [InlineData("""{"pull_request":{"labels":[{"id":1},{"name":"bug"}]}}""", false)]
    [InlineData("""{"issue":{"labels":"agent-task"}}""", false)]
    [InlineData("""{"issue":"agent-task"}""", false)]
    [InlineData("{}", false)]
    public void Labels_match_the_label_just_added_else_any_on_the_issue_or_pull_request(string payload, bool matches) =>
        Assert.Equal(matches, Matches("""{ "event": "*", "labels": ["agent-task"], "jobType": "x" }""", "issues", payload));

    [Fact]
    public void Str_reads_only_a_string_at_the_end_of_an_object_path()
    {
        using var doc = JsonDocument.Parse("""{"a":{"b":"c","n":1,"list":["x"]},"s":"t"}""");
        var root = doc.RootElement;
        Assert.Equal("c", Router.Str(root, "a", "b"));
        Assert.Equal("t", Router.Str(root, "s"));
        Assert.Null(Router.Str(root, "a", "n"));
        Assert.Null(Router.Str(root, "a"));
        Assert.Null(Router.Str(root, "s", "deeper"));
        Assert.Null(Router.Str(root, "a", "list", "0"));
        Assert.Null(Router.Str(root, "missing"));
    }
}
