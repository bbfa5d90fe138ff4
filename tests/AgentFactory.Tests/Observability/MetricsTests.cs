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

        var text = await WaitForMetricAsync(service, "agentfactory_jobs_total");
        Assert.Matches("agentfactory_deliveries_total\\{[^}]*event=\"ping\",outcome=\"recorded\"\\} 1", text);
        Assert.Matches("agentfactory_deliveries_total\\{[^}]*event=\"unknown\",outcome=\"bad_signature\"\\} 1", text);
        Assert.Matches("agentfactory_jobs_total\\{[^}]*job_type=\"manual\",outcome=\"completed\"\\} 1", text);
        Assert.Matches("agentfactory_job_duration_seconds_count\\{[^}]*job_type=\"manual\"\\} 1", text);
        Assert.Matches("agentfactory_job_start_delay_seconds_count\\{[^}]*job_type=\"manual\"\\} 1", text);
        Assert.Matches("agentfactory_queue_depth\\{[^}]*status=\"pending\"\\}", text);
    }

    private static async Task<string> WaitForMetricAsync(TestService service, string needle)
    {
        // The Prometheus exporter caches a scrape briefly; ask again until the newest counters show.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var text = await service.Admin.GetStringAsync("/metrics", deadline.Token);
            if (text.Contains(needle, StringComparison.Ordinal)) return text;
            await Task.Delay(100, deadline.Token);
        }
    }
}
