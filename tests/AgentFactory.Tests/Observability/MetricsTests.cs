using AgentFactory.Jobs;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Observability;

public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_endpoint_counts_deliveries_by_outcome_and_jobs_by_type()
    {
        await using var service = await TestService.StartAsync();
        await service.Http.SendAsync(Fixtures.Delivery("ping", Fixtures.Read("ping", "ping"), TestService.Secret));
        await service.Http.SendAsync(Fixtures.Delivery("push", Fixtures.Read("push", "push"), "not-the-secret-0123456789"));
        var response = await service.Http.SendAsync(service.Manual());
        var id = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["job_id"]!.GetValue<long>();
        await service.WaitForJobAsync(id, JobStatus.Completed);

        await WaitForMetricsAsync(service,
            "agentfactory_deliveries_total\\{[^}]*event=\"ping\",outcome=\"recorded\"\\} [1-9]",
            "agentfactory_deliveries_total\\{[^}]*event=\"unknown\",outcome=\"bad_signature\"\\} [1-9]",
            "agentfactory_jobs_total\\{[^}]*job_type=\"manual\",outcome=\"completed\"\\} [1-9]",
            "agentfactory_job_duration_seconds_count\\{[^}]*job_type=\"manual\"\\} [1-9]",
            "agentfactory_job_start_delay_seconds_count\\{[^}]*job_type=\"manual\"\\} [1-9]",
            "agentfactory_queue_depth\\{[^}]*status=\"pending\"\\}");
    }

    /// <summary>
    /// Attack: a holder of the manual token invents thousands of job types; each would be its own
    /// series (7.4 MB of /metrics at 2,600 types) and push real job types into the exporter's overflow.
    /// Job types the routing file does not name are counted as "other".
    /// </summary>
    [Fact]
    public async Task Thousands_of_invented_job_types_share_one_label_and_a_routed_type_keeps_its_series()
    {
        const int invented = 2_600;
        const string routing = """
            { "routes": [{ "event": "push", "jobType": "github_push" }],
              "jobs": { "github_push": { "agent": "log" }, "*": { "agent": "log", "maxAttempts": 1 } } }
            """;
        await using var service = await TestService.StartAsync(routingJson: routing, configure: o => o.MaxConcurrentJobs = 64, seed: async store =>
        {
            for (var i = 0; i < invented; i++) await store.EnqueueAsync(new NewJob($"invented-{Guid.NewGuid():N}", "{}", MaxAttempts: 1), default);
            await store.EnqueueAsync(new NewJob("github_push", "{}"), default);
        });
        using (var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
            while ((await service.Store.CountJobsByStatusAsync(deadline.Token))[JobStatus.Completed] < invented + 1)
                await Task.Delay(100, deadline.Token);

        await WaitForMetricsAsync(service,
            $"agentfactory_jobs_total\\{{[^}}]*job_type=\"other\",outcome=\"completed\"\\}} {invented}\\b",
            "agentfactory_jobs_total\\{[^}]*job_type=\"github_push\",outcome=\"completed\"\\} 1\\b");
        var text = await service.Admin.GetStringAsync("/metrics");
        Assert.DoesNotContain("invented-", text, StringComparison.Ordinal);
        Assert.DoesNotContain("otel_metric_overflow", text, StringComparison.Ordinal);
        // Counted by label, not by size: the exporter's listener is process-wide, so in the test run the scrape also
        // holds the series of other services running at the same time (each with its own few job types).
        var jobTypes = System.Text.RegularExpressions.Regex.Matches(text, "job_type=\"([^\"]*)\"")
            .Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();
        Assert.True(jobTypes.Count < 100, $"/metrics has {jobTypes.Count} job_type labels");
    }

    /// <summary>Scrapes until every pattern shows (the exporter caches a scrape briefly); fails with the last scrape.</summary>
    private static async Task WaitForMetricsAsync(TestService service, params string[] patterns)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = "";
        try
        {
            while (true)
            {
                text = await service.Admin.GetStringAsync("/metrics", deadline.Token);
                if (patterns.All(p => System.Text.RegularExpressions.Regex.IsMatch(text, p))) return;
                await Task.Delay(100, deadline.Token);
            }
        }
        catch (OperationCanceledException)
        {
            foreach (var p in patterns) Assert.Matches(p, text);
            throw;
        }
    }
}
