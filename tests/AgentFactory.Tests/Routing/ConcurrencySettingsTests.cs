using System.Text.Json;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Routing;

namespace AgentFactory.Tests.Routing;

/// <summary>jobs.&lt;type&gt;.concurrency: checked at start, and its key rendered from each payload as plain, bounded text.</summary>
public sealed class ConcurrencySettingsTests
{
    private static string Job(string concurrency) => "{\"jobs\": {\"pr_review\": {\"concurrency\": " + concurrency + "}}}";

    [Theory]
    [InlineData("""{"key": "{{pull_request.number}}", "mode": "cancel"}""", "jobs.pr_review.concurrency.mode is 'cancel'; use \"supersede\", \"serialize\" or \"skip\"")]
    [InlineData("""{"key": "{{pull_request.number}}"}""", "jobs.pr_review.concurrency.mode is ''")]
    [InlineData("""{"key": "all-of-them", "mode": "serialize"}""", "jobs.pr_review.concurrency.key 'all-of-them' references no payload field")]
    [InlineData("""{"key": "", "mode": "skip"}""", "jobs.pr_review.concurrency.key must be text")]
    [InlineData("""{"key": "{{repository.full_name}}#{{ pull request }}", "mode": "skip"}""", "has a placeholder that is not a payload field path")]
    [InlineData("""{"key": "{{repository.full_name}}", "mode": "supersede", "group": "x"}""", "unknown setting 'group' in jobs.pr_review.concurrency")]
    public void A_bad_concurrency_setting_stops_the_start_naming_the_setting_and_the_accepted_values(string concurrency, string expected)
    {
        var e = Assert.Throws<SettingsException>(() => RoutingLoader.Parse(Job(concurrency), "routing.json"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_key_is_rendered_from_the_payload_and_frozen_with_its_mode_on_the_new_job()
    {
        var config = RoutingLoader.Parse(Job("""{"key": "{{repository.full_name}}#{{pull_request.number}}", "mode": "Supersede"}"""), "routing.json");
        var job = config.SettingsFor("pr_review").NewJob("pr_review", """{"repository":{"full_name":"acme/app"},"pull_request":{"number":42}}""", 5);
        Assert.Equal(new JobConcurrency("acme/app#42", ConcurrencyMode.Supersede), job.Concurrency);
        Assert.Equal(5, job.Priority);
        Assert.Null(config.SettingsFor("other").NewJob("other", "{}", 0).Concurrency);
    }

    [Fact]
    public void A_payload_without_a_field_the_key_names_gets_no_key_rather_than_sharing_an_empty_one()
    {
        var settings = new ConcurrencySettings { Key = "{{repository.full_name}}#{{pull_request.number}}", Mode = "skip" };
        Assert.Null(ConcurrencyKeyTemplate.For(settings, """{"repository":{"full_name":"acme/app"}}"""));
        Assert.Null(ConcurrencyKeyTemplate.For(settings, """{"repository":{"full_name":"acme/app"},"pull_request":{"number":{"nested":1}}}"""));
        Assert.Null(ConcurrencyKeyTemplate.For(settings, "not json"));
    }

    [Fact]
    public void A_hostile_payload_value_stays_plain_bounded_text()
    {
        // Attack: a branch name or title crafted as a template, SQL, control characters or a huge string.
        var settings = new ConcurrencySettings { Key = "{{repository.full_name}}#{{pull_request.title}}", Mode = "serialize" };
        string Title(string t) => JsonSerializer.Serialize(new { repository = new { full_name = "acme/app" }, pull_request = new { title = t } });

        var injected = ConcurrencyKeyTemplate.For(settings, Title("{{repository.full_name}}'; DROP TABLE agent_jobs; --\n"))!;
        Assert.Equal("acme/app#{{repository.full_name}}'; DROP TABLE agent_jobs; --?", injected.Key); // not expanded again, newline replaced

        var huge = ConcurrencyKeyTemplate.For(settings, Title(new string('x', 100_000)))!;
        var other = ConcurrencyKeyTemplate.For(settings, Title(new string('x', 99_999) + "y"))!;
        Assert.StartsWith("sha256:", huge.Key, StringComparison.Ordinal);
        Assert.True(huge.Key.Length <= ConcurrencyKeyTemplate.MaxKeyLength);
        Assert.NotEqual(huge.Key, other.Key); // long keys never merge
    }
}
