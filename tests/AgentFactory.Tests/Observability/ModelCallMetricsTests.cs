using System.Text.RegularExpressions;
using AgentFactory.Agents;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Observability;

/// <summary>
/// Model tokens, cost and calls in /metrics, from real calls through the service's own model layer
/// (the real OpenAI client against a local chat-completions server), made by a job's agent.
/// </summary>
public sealed class ModelCallMetricsTests
{
    private const string Key = "sk-metrics-test-key-0001";

    private static string Routing(Uri v1) => $$"""
        {
          "routes": [],
          "jobs": { "*": { "agent": "prober", "maxAttempts": 1, "timeout": "00:01:00" } },
          "agents": { "prober": { "kind": "probe" } },
          "models": { "gpt": { "baseUrl": "{{v1.AbsoluteUri}}", "model": "gpt-test", "apiKeyEnv": "OPENAI_TEST_KEY",
                               "contextWindow": 100000, "maxOutputTokens": 1000, "inputUsdPerMillion": 2, "outputUsdPerMillion": 8 } }
        }
        """;

    [Fact]
    public async Task A_jobs_model_calls_count_tokens_and_cost_under_its_agent_and_model_and_never_its_job_id()
    {
        await using var fake = await FakeOpenAiServer.StartAsync();
        fake.Script.Enqueue(ScriptedReply.Say("Planned.", 1_000, 500), ScriptedReply.Say("Done.", 3_000, 250), ScriptedReply.Say("Outside.", 40, 4));
        TestService? service = null;
        var probe = new ProbeAgentKind(async (job, ct) =>
        {
            var gpt = service!.Host.Services.GetRequiredService<ModelClients>().Get("gpt").ChatFor(new BudgetScope(job.Id, "octo/widgets", BudgetLimits.None));
            await gpt.GetResponseAsync("Plan it.", cancellationToken: ct);
            return AgentResult.Success((await gpt.GetResponseAsync("Do it.", cancellationToken: ct)).Text);
        });
        service = await TestService.StartAsync(routingJson: Routing(fake.V1), services: s => s.AddSingleton<IAgentKind>(probe),
            environment: HostEnvironment.Minimal(new Dictionary<string, string> { ["OPENAI_TEST_KEY"] = Key }));
        await using (service)
        {
            var id = await service.Store.EnqueueAsync(new NewJob("github_issues", "{}", MaxAttempts: 1), default);
            Assert.Equal("Done.", (await service.WaitForJobAsync(id, JobStatus.Completed, JobStatus.Failed)).Output);

            // A call made outside any job (no agent runs it) is counted as "other", not dropped.
            var outside = service.Host.Services.GetRequiredService<ModelClients>().Get("gpt").ChatFor(new BudgetScope(987_654, "octo/widgets", BudgetLimits.None));
            await outside.GetResponseAsync("Hello?");

            var text = await WaitForMetricsAsync(service,
                Series("agentfactory_model_tokens_total", "agent=\"prober\"", "direction=\"input\"", "model=\"gpt\"") + " 4000\\b",
                Series("agentfactory_model_tokens_total", "agent=\"prober\"", "direction=\"output\"", "model=\"gpt\"") + " 750\\b",
                // 4000 × $2/M + 750 × $8/M
                Series("agentfactory_model_cost_usd_total", "agent=\"prober\"", "model=\"gpt\"") + " 0\\.014\\b",
                Series("agentfactory_model_calls_total", "agent=\"prober\"", "model=\"gpt\"", "outcome=\"completed\"") + " 2\\b",
                Series("agentfactory_model_tokens_total", "agent=\"other\"", "direction=\"input\"", "model=\"gpt\"") + " 40\\b");
            Assert.DoesNotContain("987654", text, StringComparison.Ordinal);
            Assert.DoesNotMatch($"job(_id)?=\"{id}\"", text);
        }
    }

    /// <summary>A Prometheus series with these labels (among others, in the exporter's order).</summary>
    private static string Series(string name, params string[] labels) =>
        Regex.Escape(name) + "\\{" + string.Concat(labels.Select(l => $"(?=[^}}]*{Regex.Escape(l)})")) + "[^}]*\\}";

    private static async Task<string> WaitForMetricsAsync(TestService service, params string[] patterns)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = "";
        try
        {
            while (true)
            {
                text = await service.Admin.GetStringAsync("/metrics", deadline.Token);
                if (patterns.All(p => Regex.IsMatch(text, p))) return text;
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
