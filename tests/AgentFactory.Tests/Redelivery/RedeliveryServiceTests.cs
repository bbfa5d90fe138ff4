using AgentFactory.GitHub;
using AgentFactory.Redelivery;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Redelivery;

/// <summary>The schedule inside the real service: a delivery the ingest stored is recognised by its guid and hook id, and not redelivered.</summary>
public sealed class RedeliveryServiceTests
{
    [Fact]
    public async Task Orchestrator_redelivers_only_what_the_ingest_never_stored()
    {
        await using var github = await FakeGitHubHooks.StartAsync("ghp_ok");
        const string hook = "repos/octo/app/hooks/3";
        await using var service = await TestService.StartAsync(services: s =>
        {
            s.AddSingleton(new GitHubSettings { ApiUrl = github.ApiUrl, Token = "ghp_ok", MaxRetries = 0 });
            s.AddSingleton(new RedeliverySettings { Interval = TimeSpan.FromMilliseconds(100), Targets = [HookTarget.Repository("octo/app", 3)] });
        });

        // GitHub timed out on this one, but the service had stored it.
        var response = await service.Http.SendAsync(Fixtures.Delivery("star", """{"action":"created","repository":{"full_name":"octo/app"}}""",
            TestService.Secret, deliveryId: "arrived", hookId: "3"));
        Assert.True(response.IsSuccessStatusCode);
        github.AddDelivery(hook, "arrived", DateTimeOffset.UtcNow.AddMinutes(-2), 504, @event: "star", action: "created");
        var lost = github.AddDelivery(hook, "lost", DateTimeOffset.UtcNow.AddMinutes(-1), 502, @event: "star", action: "created");

        await github.WaitForAsync(r => r.Method == "POST");
        var reads = github.Requests.Count(r => r.Method == "GET");
        await github.WaitForAsync(_ => github.Requests.Count(r => r.Method == "GET") >= reads + 3); // three more passes

        Assert.Equal([(hook, lost)], github.Redeliveries);
    }
}
