using System.Text.Json;
using AgentFactory.Hosting;
using AgentFactory.Routing;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Routing;

public sealed class RouterTests
{
    private static readonly Router Defaults = new(RoutingLoader.Parse(RoutingLoader.DefaultJson(), "defaults"));

    private static IReadOnlyList<RoutedJob> Route(Router router, string ev, string json)
    {
        using var doc = JsonDocument.Parse(json);
        return router.Route(ev, doc.RootElement);
    }

    [Fact]
    public void Push_to_a_non_default_branch_or_a_tag_is_not_routed_by_default()
    {
        Assert.Empty(Route(Defaults, "push", """{"ref":"refs/heads/feature","repository":{"default_branch":"main"}}"""));
        Assert.Empty(Route(Defaults, "push", """{"ref":"refs/tags/v1","repository":{"default_branch":"main"}}"""));
        Assert.Single(Route(Defaults, "push", """{"ref":"refs/heads/main","repository":{"default_branch":"main"}}"""));
    }

    [Fact]
    public void Branch_deletion_is_not_a_push_to_review()
    {
        Assert.Empty(Route(Defaults, "push", """{"ref":"refs/heads/main","deleted":true,"repository":{"default_branch":"main"}}"""));
    }

    [Theory]
    [InlineData("created")]
    [InlineData("released")]
    [InlineData("prereleased")]
    public void Only_published_releases_deploy_so_one_release_is_one_job(string action) =>
        Assert.Empty(Route(Defaults, "release", $$"""{"action":"{{action}}"}"""));

    [Fact]
    public void Label_rule_matches_the_label_just_added_not_others_on_the_issue()
    {
        var addedOther = """{"action":"labeled","label":{"name":"bug"},"issue":{"labels":[{"name":"agent-task"},{"name":"bug"}]}}""";
        Assert.Empty(Route(Defaults, "issues", addedOther));
        var added = """{"action":"labeled","label":{"name":"Agent-Task"},"issue":{"labels":[]}}""";
        Assert.Equal("github_issue", Assert.Single(Route(Defaults, "issues", added)).JobType);
    }

    [Fact]
    public void Custom_rules_match_repository_globs_and_branch_globs_and_default_the_job_type()
    {
        var router = new Router(RoutingLoader.Parse("""
            { "routes": [
                { "event": "push", "branches": ["release/*"], "repositories": ["acme/*"], "priority": 9 },
                { "event": "*", "jobType": "audit" } ] }
            """, "test"));
        var jobs = Route(router, "push", """{"ref":"refs/heads/release/2.0","repository":{"full_name":"acme/api"}}""");
        Assert.Equal([new RoutedJob("github_push", 9), new RoutedJob("audit", 0)], jobs);
        Assert.Equal([new RoutedJob("audit", 0)], Route(router, "push", """{"ref":"refs/heads/release/2.0","repository":{"full_name":"other/api"}}"""));
        Assert.Equal(2, Route(router, "push", """{"ref":"refs/heads/release/2.0","repository":{"full_name":"ACME/Api"}}""").Count);
        Assert.Single(Route(router, "push", """{"ref":"refs/heads/Release/2.0","repository":{"full_name":"acme/api"}}"""));
    }

    [Fact]
    public void Recorded_pull_request_fixtures_route_by_action()
    {
        Assert.Single(Route(Defaults, "pull_request", Fixtures.Read("pull_request", "opened")));
        Assert.Empty(Route(Defaults, "pull_request", Fixtures.Read("pull_request", "closed")));
    }

    [Theory]
    [InlineData("""{"routes":[{"jobType":"x"}]}""", "routes[0].event is required")]
    [InlineData("""{"routes":[{"event":"*"}]}""", "needs a jobType")]
    [InlineData("""{"jobs":{"x":{"maxAttempts":0}}}""", "jobs.x.maxAttempts")]
    [InlineData("""{"jobs":{"x":{"timeout":"-00:00:01"}}}""", "jobs.x.timeout")]
    [InlineData("""{"routes": [""", "not valid")]
    [InlineData("""{"routes":[{"event":"push","branch":["main"]}]}""", "branch")]
    public void Bad_routing_files_are_refused_naming_the_setting(string json, string expected)
    {
        var e = Assert.Throws<SettingsException>(() => RoutingLoader.Parse(json, "routing.json"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\n  \"routes\": [\n    { \"event\": \"push\", \"branch\": [\"main\"] }\n  ]\n}", "line 3", "unknown setting 'branch' in routes[0]", "branches")]
    [InlineData("{\"jobs\": {\"x\": {\"agent\": \"log\", \"notfy\": [\"*\"]}}}", "line 1", "unknown setting 'notfy' in jobs.x", "notify")]
    [InlineData("{\"jobs\": {\"x\": {\"timeout\": \"an hour\"}}}", "line 1", "jobs.x.timeout must be a duration", "\"30m\"")]
    [InlineData("{\"jobs\": {\"x\": {\"maxAttempts\": \"3\"}}}", "line 1", "jobs.x.maxAttempts must be a whole number", "without quotes")]
    [InlineData("{\"routes\": [{\"event\": \"push\", \"branches\": \"main\"}]}", "line 1", "routes[0].branches must be a list of strings", "[\"main\"]")]
    [InlineData("{\n\"routes\": [\n", "line 3", "is not valid JSON", "routing.json")]
    public void Routing_file_errors_name_the_line_the_setting_and_what_is_accepted_never_a_dotnet_type(string json, string line, string what, string accepted)
    {
        var e = Assert.Throws<SettingsException>(() => RoutingLoader.Parse(json, "routing.json"));
        Assert.Contains(line, e.Message, StringComparison.Ordinal);
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
        Assert.Contains(accepted, e.Message, StringComparison.Ordinal);
        foreach (var internals in new[] { ".NET", "System.", "RouteRule", "JobTypeSettings", "AgentFactory.", "BytePositionInLine", "$." })
            Assert.DoesNotContain(internals, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:30:00", 30 * 60)]
    [InlineData("1.02:00:00", 26 * 3600)]
    [InlineData("90s", 90)]
    [InlineData("30m", 30 * 60)]
    [InlineData("1h", 3600)]
    [InlineData("1.5h", 5400)]
    [InlineData("2d", 2 * 86400)]
    public void Timeouts_are_hh_mm_ss_or_a_number_with_a_unit(string timeout, int seconds)
    {
        var config = RoutingLoader.Parse("{\"jobs\": {\"x\": {\"timeout\": \"" + timeout + "\"}}}", "routing.json");
        Assert.Equal(TimeSpan.FromSeconds(seconds), config.SettingsFor("x").Timeout);
    }

    [Fact]
    public void A_bad_agent_setting_names_the_agent_setting_and_what_is_accepted()
    {
        var config = RoutingLoader.Parse("""{"jobs":{"x":{"agent":"run"}},"agents":{"run":{"kind":"command","command":["true"],"maxOutputKb":"lots"}}}""", "test");
        var kind = new AgentFactory.Agents.Command.CommandAgentKind(null!, null!, null!, null!);
        var e = Assert.Throws<AgentFactory.Agents.AgentConfigurationException>(() => new AgentFactory.Agents.AgentCatalog(config, [kind]));
        Assert.Contains("agents.run.maxOutputKb must be a whole number", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Job_type_with_an_unknown_agent_fails_at_start()
    {
        var config = RoutingLoader.Parse("""{"jobs":{"github_push":{"agent":"reviewer"}}}""", "test");
        var e = Assert.Throws<AgentFactory.Agents.AgentConfigurationException>(() =>
            new AgentFactory.Agents.AgentCatalog(config, [new AgentFactory.Agents.Log.LogAgentKind(Microsoft.Extensions.Logging.Abstractions.NullLogger<AgentFactory.Agents.Log.LogAgent>.Instance)]));
        Assert.Contains("jobs.github_push.agent is 'reviewer'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unlisted_job_types_use_the_star_settings()
    {
        var config = RoutingLoader.Parse(RoutingLoader.DefaultJson(), "defaults");
        Assert.Equal("log", config.SettingsFor("custom_task").Agent);
        Assert.Equal(1, config.SettingsFor("github_release").MaxAttempts);
    }
}
