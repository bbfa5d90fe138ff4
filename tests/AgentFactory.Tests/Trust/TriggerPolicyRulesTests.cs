using System.Text.Json;
using AgentFactory.Routing;
using AgentFactory.Trust;

namespace AgentFactory.Tests.Trust;

/// <summary>The smaller rules under <see cref="TriggerPolicy"/>: permission words, agent kinds, refusals at ingest.</summary>
public sealed class TriggerPolicyRulesTests
{
    private static readonly RoutingConfig Routing = RoutingLoader.Parse("""
        {
          "jobs": { "run": { "agent": "runner" }, "review": { "agent": "code-review" }, "audit": { "agent": "log" } },
          "agents": { "runner": { "kind": "command", "command": ["make"] }, "code-review": { "kind": "code_review" }, "odd": "not an object", "nokind": { "kind": 3 } }
        }
        """, "test");

    private static TriggerVerdict Evaluate(string eventType, string jobType, string payload)
    {
        using var doc = JsonDocument.Parse(payload);
        return TriggerPolicy.Evaluate(eventType, doc.RootElement, jobType, Routing.SettingsFor(jobType), Routing, []);
    }

    [Theory]
    [InlineData("none", RepositoryAccess.None)]
    [InlineData("read", RepositoryAccess.Read)]
    [InlineData("pull", RepositoryAccess.Read)]
    [InlineData("triage", RepositoryAccess.Triage)]
    [InlineData("write", RepositoryAccess.Write)]
    [InlineData("push", RepositoryAccess.Write)]
    [InlineData("maintain", RepositoryAccess.Maintain)]
    [InlineData("admin", RepositoryAccess.Admin)]
    [InlineData(" Admin\t", RepositoryAccess.Admin)]
    [InlineData("WRITE", RepositoryAccess.Write)]
    public void Permission_words_are_githubs_in_any_case(string word, RepositoryAccess access)
    {
        Assert.True(RepositoryPermissions.TryParse(word, out var parsed));
        Assert.Equal(access, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("owner")]
    public void Other_words_are_no_permission(string? word)
    {
        Assert.False(RepositoryPermissions.TryParse(word, out var parsed));
        Assert.Equal(RepositoryAccess.None, parsed);
    }

    [Fact]
    public void Each_level_has_its_word_back()
    {
        Assert.Equal(["none", "read", "triage", "write", "maintain", "admin"], Enum.GetValues<RepositoryAccess>().Select(a => a.Name()));
        Assert.Equal("none, read, triage, write, maintain, admin", RepositoryPermissions.Names);
    }

    [Theory]
    [InlineData("admin", "maintain", RepositoryAccess.Admin)] // a role below the legacy answer never lowers it
    [InlineData("write", "write", RepositoryAccess.Write)]
    [InlineData(null, "triage", RepositoryAccess.Triage)]
    [InlineData(null, null, RepositoryAccess.None)]
    public void The_role_name_wins_only_when_it_is_at_least_the_legacy_permission(string? permission, string? role, RepositoryAccess expected) =>
        Assert.Equal(expected, RepositoryPermissions.FromAnswer(permission, role));

    [Fact]
    public void An_agents_kind_comes_from_its_definition_else_its_name_is_a_built_in()
    {
        Assert.Equal("command", TriggerPolicy.KindOf(Routing, "runner"));
        Assert.Equal("log", TriggerPolicy.KindOf(Routing, "log"));
        Assert.Equal("odd", TriggerPolicy.KindOf(Routing, "odd"));
        Assert.Equal("nokind", TriggerPolicy.KindOf(Routing, "nokind"));
        Assert.True(TriggerPolicy.RunsRepositoryCode("command"));
        Assert.False(TriggerPolicy.RunsRepositoryCode("Code_Review"));
    }

    [Fact]
    public void The_required_permission_is_the_setting_else_none_for_log_and_write_for_the_rest()
    {
        Assert.Equal(RepositoryAccess.Triage, TriggerPolicy.RequiredPermission(new JobTypeSettings { Permission = "triage" }, "command"));
        Assert.Equal(RepositoryAccess.None, TriggerPolicy.RequiredPermission(new JobTypeSettings(), "LOG"));
        Assert.Equal(RepositoryAccess.Write, TriggerPolicy.RequiredPermission(new JobTypeSettings(), "code_review"));
        Assert.Equal(RepositoryAccess.Write, TriggerPolicy.RequiredPermission(new JobTypeSettings { Permission = "sometimes" }, "code_review"));
    }

    [Fact]
    public void A_fork_refusal_names_the_pull_request_number_from_the_event()
    {
        const string fork = """{"action":"opened","number":12,"pull_request":{"number":5,"head":{"repo":{"full_name":"mallory/widgets"}}},"repository":{"full_name":"octo/widgets"},"sender":{"login":"m"}}""";
        Assert.StartsWith("run: not started: pull request #5 comes from the fork mallory/widgets, and agent 'runner' (command) runs the repository's code", Evaluate("pull_request", "run", fork).Reason, StringComparison.Ordinal);
        const string noNumber = """{"action":"opened","number":12,"pull_request":{"head":{"repo":{"full_name":"mallory/widgets"}}},"repository":{"full_name":"octo/widgets"}}""";
        Assert.StartsWith("run: not started: pull request #12 comes", Evaluate("pull_request", "run", noNumber).Reason, StringComparison.Ordinal);
        const string nothing = """{"pull_request":{"head":{"repo":null}},"repository":{"full_name":"octo/widgets"}}""";
        Assert.StartsWith("run: not started: pull request #? comes from the fork (deleted fork)", Evaluate("pull_request", "run", nothing).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pull_request_head_in_the_same_repository_in_another_case_is_no_fork()
    {
        const string own = """{"action":"opened","pull_request":{"number":5,"head":{"repo":{"full_name":"Octo/Widgets"}}},"repository":{"full_name":"octo/widgets"},"sender":{"login":"alice"}}""";
        Assert.Equal(TriggerDecision.Allowed, Evaluate("pull_request", "run", own).Decision);
        const string noHead = """{"action":"opened","pull_request":{"number":5},"repository":{"full_name":"octo/widgets"},"sender":{"login":"alice"}}""";
        Assert.Equal(TriggerDecision.Allowed, Evaluate("pull_request", "run", noHead).Decision);
        const string headNotObject = """{"action":"opened","pull_request":{"number":5,"head":"x"},"repository":{"full_name":"octo/widgets"},"sender":{"login":"alice"}}""";
        Assert.Equal(TriggerDecision.Allowed, Evaluate("pull_request", "run", headNotObject).Decision);
    }

    [Fact]
    public void A_pull_request_event_without_a_pull_request_or_an_action_proves_nothing()
    {
        Assert.Equal(TriggerDecision.CheckSender, Evaluate("pull_request", "run", """{"action":"opened","repository":{"full_name":"octo/widgets"},"sender":{"login":"alice"}}""").Decision);
        Assert.Equal(TriggerDecision.CheckSender, Evaluate("pull_request", "run", """{"pull_request":{"number":5},"repository":{"full_name":"octo/widgets"},"sender":{"login":"alice"}}""").Decision);
        Assert.Equal(TriggerDecision.Allowed, Evaluate("delete", "run", """{"repository":{"full_name":"octo/widgets"},"sender":{"login":"alice"}}""").Decision);
    }

    [Fact]
    public void Without_a_repository_the_senders_permission_cannot_be_asked()
    {
        var verdict = Evaluate("issue_comment", "run", """{"sender":{"login":"alice","type":"User"}}""");
        Assert.Equal(TriggerDecision.Refused, verdict.Decision);
        Assert.Equal("run: not started: the event names no repository (repository.full_name) to check alice's permission on.", verdict.Reason);
        var check = Evaluate("issue_comment", "run", """{"repository":{"full_name":"octo/widgets"},"sender":{"login":"alice","type":"User"}}""");
        Assert.Equal(new TriggerVerdict(TriggerDecision.CheckSender, null, "alice", "octo/widgets", RepositoryAccess.Write), check);
    }

    [Fact]
    public void Ingest_keeps_the_jobs_that_may_start_and_writes_one_refusal_line_per_job_type()
    {
        using var doc = JsonDocument.Parse("""{"action":"created","repository":{"full_name":"octo/widgets"},"sender":{"login":"ci[bot]","type":"Bot"}}""");
        RoutedJob[] routed = [new("run", 1), new("audit", 0), new("review", 2)];
        var (kept, refusal) = IngestTrust.Filter(routed, "issue_comment", doc.RootElement, Routing, []);
        Assert.Equal([new RoutedJob("audit", 0)], kept);
        Assert.Equal(2, refusal!.Split('\n').Length);
        Assert.StartsWith("run: not started: the sender ci[bot] is a bot", refusal.Split('\n')[0], StringComparison.Ordinal);
        Assert.StartsWith("review: not started: the sender ci[bot] is a bot", refusal.Split('\n')[1], StringComparison.Ordinal);

        var (all, none) = IngestTrust.Filter([new("audit", 0)], "issue_comment", doc.RootElement, Routing, []);
        Assert.Equal([new RoutedJob("audit", 0)], all);
        Assert.Null(none);
        var (empty, nothing) = IngestTrust.Filter([], "issue_comment", doc.RootElement, Routing, []);
        Assert.Empty(empty);
        Assert.Null(nothing);
    }
}
