using System.Text.Json;
using AgentFactory.Routing;
using AgentFactory.Trust;

namespace AgentFactory.Tests.Trust;

/// <summary>The rules of who may start agent work, decided from the delivery alone (docs/security.md).</summary>
public sealed class TriggerPolicyTests
{
    private static readonly RoutingConfig Routing = RoutingLoader.Parse("""
        {
          "jobs": {
            "review": { "agent": "code-review" }, "run": { "agent": "runner" }, "deploy": { "agent": "deploy" },
            "cli": { "agent": "claude" }, "audit": { "agent": "log" }, "open": { "agent": "runner", "permission": "none" },
            "triage": { "agent": "code-review", "permission": "triage" }, "admin": { "agent": "code-review", "permission": "admin" }
          },
          "agents": {
            "code-review": { "kind": "code_review" }, "runner": { "kind": "command", "command": ["make", "test"] },
            "deploy": { "kind": "deploy", "command": ["./deploy.sh"] }, "claude": { "kind": "cli" }
          }
        }
        """, "test");

    private static TriggerVerdict Evaluate(string eventType, string jobType, string payload, params string[] serviceLogins)
    {
        using var doc = JsonDocument.Parse(payload);
        return TriggerPolicy.Evaluate(eventType, doc.RootElement, jobType, Routing.SettingsFor(jobType), Routing, serviceLogins);
    }

    private static string Pr(string head, string action = "opened", string login = "alice") =>
        "{\"action\":\"" + action + "\",\"pull_request\":{\"number\":5,\"head\":{\"repo\":{\"full_name\":\"" + head + "\"}}}," +
        "\"repository\":{\"full_name\":\"octo/widgets\"},\"sender\":{\"login\":\"" + login + "\",\"type\":\"User\"}}";

    private static string Comment(string login, string type = "User") =>
        $$$"""{"action":"created","repository":{"full_name":"octo/widgets"},"sender":{"login":"{{{login}}}","type":"{{{type}}}"}}""";

    [Theory]
    [InlineData("run")]
    [InlineData("deploy")]
    [InlineData("cli")]
    [InlineData("open")] // even with "permission": "none"
    public void Attack_a_fork_pull_request_never_reaches_an_agent_that_runs_repository_code(string jobType)
    {
        // Attack: a fork's pull request carries a script that steals the credentials of whatever runs it.
        var verdict = Evaluate("pull_request", jobType, Pr("mallory/widgets"));
        Assert.Equal(TriggerDecision.Refused, verdict.Decision);
        Assert.Contains("comes from the fork mallory/widgets", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pull_request_whose_fork_was_deleted_counts_as_a_fork() =>
        Assert.Equal(TriggerDecision.Refused, Evaluate("pull_request", "run",
            """{"action":"opened","pull_request":{"number":5,"head":{"repo":null}},"repository":{"full_name":"octo/widgets"},"sender":{"login":"a","type":"User"}}""").Decision);

    [Fact]
    public void A_fork_pull_request_may_be_reviewed_as_text_by_a_writer() =>
        Assert.Equal(TriggerDecision.CheckSender, Evaluate("pull_request", "review", Pr("mallory/widgets")).Decision);

    [Theory]
    [InlineData("opened")]
    [InlineData("synchronize")]
    [InlineData("reopened")]
    public void A_pull_request_from_the_repositorys_own_branch_proves_write(string action) =>
        Assert.Equal(TriggerDecision.Allowed, Evaluate("pull_request", "run", Pr("Octo/Widgets", action)).Decision);

    [Theory]
    [InlineData("labeled")]
    [InlineData("assigned")]
    [InlineData("review_requested")]
    public void A_label_or_assignment_on_an_own_branch_pull_request_still_asks_about_its_sender(string action) =>
        Assert.Equal(TriggerDecision.CheckSender, Evaluate("pull_request", "run", Pr("octo/widgets", action)).Decision);

    [Theory]
    [InlineData("push")]
    [InlineData("release")]
    [InlineData("create")]
    public void Events_only_writers_cause_need_no_question_when_write_is_enough(string eventType)
    {
        Assert.Equal(TriggerDecision.Allowed, Evaluate(eventType, "run", Comment("alice")).Decision);
        Assert.Equal(TriggerDecision.CheckSender, Evaluate(eventType, "admin", Comment("alice")).Decision); // admin is more than write
    }

    [Fact]
    public void A_comment_asks_github_for_the_senders_permission_at_the_configured_level()
    {
        var verdict = Evaluate("issue_comment", "triage", Comment("alice"));
        Assert.Equal((TriggerDecision.CheckSender, "alice", "octo/widgets", RepositoryAccess.Triage), (verdict.Decision, verdict.Login, verdict.Repository, verdict.Required));
        Assert.Equal(RepositoryAccess.Write, Evaluate("issue_comment", "review", Comment("alice")).Required);
    }

    [Theory]
    [InlineData("dependabot[bot]", "Bot")]
    [InlineData("ci", "Bot")]
    [InlineData("Sneaky[BOT]", "User")]
    public void Attack_a_bot_starts_nothing_so_agents_cannot_loop(string login, string type) =>
        Assert.Contains("is a bot", Evaluate("push", "run", Comment(login, type)).Reason, StringComparison.Ordinal);

    [Fact]
    public void The_services_own_account_starts_nothing_in_any_case() =>
        Assert.Contains("service's own account", Evaluate("push", "run", Comment("FACTORY"), "factory").Reason, StringComparison.Ordinal);

    [Fact]
    public void Permission_none_and_the_log_agent_let_anyone_bots_included_start_the_job()
    {
        Assert.Equal(TriggerDecision.Allowed, Evaluate("issue_comment", "open", Comment("x[bot]", "Bot")).Decision);
        Assert.Equal(TriggerDecision.Allowed, Evaluate("issue_comment", "audit", Comment("x[bot]", "Bot")).Decision);
        Assert.Equal(TriggerDecision.Allowed, Evaluate("issue_comment", "unlisted", Comment("stranger")).Decision); // "*" → log
    }

    [Fact]
    public void An_event_without_a_sender_is_refused_when_a_permission_is_required() =>
        Assert.Contains("names no sender", Evaluate("issue_comment", "review", """{"repository":{"full_name":"octo/widgets"}}""").Reason, StringComparison.Ordinal);

    [Theory]
    [InlineData("write", "maintain", RepositoryAccess.Maintain)]
    [InlineData("read", "triage", RepositoryAccess.Triage)]
    [InlineData("write", "custom-reviewer", RepositoryAccess.Write)]
    [InlineData("admin", "admin", RepositoryAccess.Admin)]
    [InlineData("none", null, RepositoryAccess.None)]
    [InlineData("surprise", null, RepositoryAccess.None)]
    public void GitHubs_answer_maps_role_names_and_falls_back_to_the_legacy_permission(string permission, string? role, RepositoryAccess expected) =>
        Assert.Equal(expected, RepositoryPermissions.FromAnswer(permission, role));

    [Fact]
    public void A_bad_permission_setting_stops_the_start_naming_the_accepted_values()
    {
        var e = Assert.Throws<AgentFactory.Hosting.SettingsException>(() => RoutingLoader.Parse("""{ "jobs": { "x": { "permission": "writer" } } }""", "test"));
        Assert.Contains("jobs.x.permission is 'writer'; use one of: none, read, triage, write, maintain, admin.", e.Message, StringComparison.Ordinal);
    }
}
