using System.Net;
using AgentFactory.Events;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Ingest;

/// <summary>One webhook service for the whole theory (the names are the variable, not the service).</summary>
public sealed class WebhookServiceFixture : IAsyncLifetime
{
    public TestService Service { get; private set; } = null!;

    public async Task InitializeAsync() => Service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook);

    public async Task DisposeAsync() => await Service.DisposeAsync();
}

/// <summary>
/// X-GitHub-Event is checked against GitHub's own list, not a guess: a name the grammar refused made
/// GitHub mark every such delivery failed (projects_v2_item got 400 bad_headers).
/// </summary>
public sealed class EventNameTests(WebhookServiceFixture fixture) : IClassFixture<WebhookServiceFixture>
{
    /// <summary>
    /// Every event of GitHub's "Webhook events and payloads" (github/docs src/webhooks/data for
    /// github.com, Enterprise Cloud and Enterprise Server 3.17).
    /// </summary>
    public static readonly TheoryData<string> GitHubEvents = new(
        "branch_protection_configuration", "branch_protection_rule", "bypass_request_push_ruleset", "bypass_request_secret_scanning",
        "cache_sync", "check_run", "check_suite", "code_scanning_alert", "commit_comment", "create", "custom_property",
        "custom_property_values", "delete", "dependabot_alert", "deploy_key", "deployment", "deployment_protection_rule",
        "deployment_review", "deployment_status", "discussion", "discussion_comment", "dismissal_request_code_scanning",
        "dismissal_request_dependabot", "dismissal_request_secret_scanning", "enterprise", "exemption_request_push_ruleset",
        "exemption_request_secret_scanning", "fork", "github_app_authorization", "gollum", "installation",
        "installation_repositories", "installation_target", "issue_comment", "issue_dependencies", "issue_relates_to", "issues",
        "label", "marketplace_purchase", "member", "membership", "merge_group", "meta", "milestone", "org_block", "organization",
        "organization_custom_property", "organization_custom_property_values", "package", "page_build",
        "personal_access_token_request", "ping", "project", "project_card", "project_column", "projects_v2", "projects_v2_item",
        "projects_v2_status_update", "public", "pull_request", "pull_request_review", "pull_request_review_comment",
        "pull_request_review_thread", "push", "registry_package", "release", "repository", "repository_advisory",
        "repository_dispatch", "repository_import", "repository_ruleset", "repository_vulnerability_alert",
        "secret_scanning_alert", "secret_scanning_alert_location", "secret_scanning_scan", "security_advisory",
        "security_and_analysis", "sponsorship", "star", "status", "sub_issues", "team", "team_add", "user", "watch",
        "workflow_dispatch", "workflow_job", "workflow_run");

    [Theory]
    [MemberData(nameof(GitHubEvents))]
    public async Task Every_event_in_githubs_current_list_is_accepted(string eventName)
    {
        var body = $"{{\"action\":\"created\",\"repository\":{{\"full_name\":\"octo/{eventName}\"}}}}";
        var response = await fixture.Service.Http.SendAsync(Fixtures.Delivery(eventName, body, TestService.Secret));
        Assert.True(response.IsSuccessStatusCode, $"{eventName}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.NotEmpty(await fixture.Service.Store.ListEventsAsync(new EventQuery(eventName), default));
    }

    [Theory]
    [InlineData("Push")]
    [InlineData("2fa")]
    [InlineData("push-event")]
    [InlineData("push event")]
    public async Task A_name_github_does_not_use_is_refused_with_the_accepted_form(string eventName)
    {
        var response = await fixture.Service.Http.SendAsync(Fixtures.Delivery(eventName, "{}", TestService.Secret));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("projects_v2_item", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
