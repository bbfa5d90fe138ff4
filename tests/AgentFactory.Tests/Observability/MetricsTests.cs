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
