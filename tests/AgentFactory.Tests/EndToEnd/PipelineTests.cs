using System.Net;
using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>Signed GitHub delivery → queue → orchestrator → a real agent process, in one service.</summary>
public sealed class PipelineTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Signed_push_to_the_default_branch_runs_the_configured_command_with_the_event()
    {
        var seen = _dir.File("seen.json");
        var script = Scripts.Write(_dir, "review.sh", $"cat > '{seen}'; echo \"reviewed $AF_REPOSITORY at $AF_SHA\"");
        var routing = RoutingWith("github_push", script);
        await using var service = await TestService.StartAsync(routingJson: routing);

        var body = Fixtures.Read("push", "push");
        var response = await service.Http.SendAsync(Fixtures.Delivery("push", body, TestService.Secret));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var jobId = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["jobs"]![0]!["id"]!.GetValue<long>();

        var job = await service.WaitForJobAsync(jobId, JobStatus.Completed, JobStatus.Failed);
        Assert.Equal(JobStatus.Completed, job.Status);
        var sent = JsonNode.Parse(body)!;
        Assert.Equal($"reviewed {sent["repository"]!["full_name"]} at {sent["after"]}\n", job.Output);
        Assert.Equal(sent["after"]!.GetValue<string>(), JsonNode.Parse(File.ReadAllText(seen))!["payload"]!["after"]!.GetValue<string>());
    }

    [Fact]
    public async Task Failing_command_is_retried_then_fails_with_each_attempts_error_kept()
    {
        var script = Scripts.Write(_dir, "deploy.sh", "echo \"deploy $AF_RELEASE_TAG attempt $AF_ATTEMPT\"; exit 4");
        await using var service = await TestService.StartAsync(routingJson: RoutingWith("github_release", script, maxAttempts: 2),
            configure: o => o.RetryBaseDelay = TimeSpan.Zero);

        var response = await service.Http.SendAsync(Fixtures.Delivery("release", Fixtures.Read("release", "published"), TestService.Secret));
        var jobId = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["jobs"]![0]!["id"]!.GetValue<long>();

        var job = await service.WaitForJobAsync(jobId, JobStatus.Failed);
        Assert.Equal(2, job.Attempt);
        Assert.Equal(2, job.Errors.Count);
        Assert.All(job.Errors, e => Assert.Contains("exited with code 4", e.Error, StringComparison.Ordinal));
        Assert.Equal("deploy 0.0.1 attempt 2\n", job.Output);
    }

    [Fact]
    public async Task Bare_manual_trigger_completes_on_the_log_agent()
    {
        await using var service = await TestService.StartAsync();
        var response = await service.Http.SendAsync(service.Manual());
        var jobId = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["job_id"]!.GetValue<long>();
        var job = await service.WaitForJobAsync(jobId, JobStatus.Completed);
        Assert.Contains("log agent", job.Output, StringComparison.Ordinal);
    }

    private string RoutingWith(string jobType, string script, int maxAttempts = 3) => $$"""
        {
          "routes": [
            { "event": "push", "branches": ["$default"], "jobType": "github_push" },
            { "event": "release", "actions": ["published"], "jobType": "github_release" }
          ],
          "jobs": { "{{jobType}}": { "agent": "script", "maxAttempts": {{maxAttempts}}, "timeout": "00:01:00" } },
          "agents": { "script": { "kind": "command", "command": ["{{script}}"], "writablePaths": ["{{_dir.Path}}"] } }
        }
        """;
}
