using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>
/// Issue 14 item 6: ten pushes to one pull request in a moment, with the shipped routing (supersede on
/// repository#number), end in one review, of the last head: every older job is cancelled as superseded, pending or
/// running, and none of them posts a review.
/// </summary>
public sealed class PushStormTests : IAsyncLifetime
{
    private const int Pushes = 10;
    private AgentWorld _world = null!;
    private FakeOpenAiServer _llm = null!;

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync(new Dictionary<string, string?> { ["src/app.cs"] = "int a = 0;\n" });
        _llm = await FakeOpenAiServer.StartAsync("""{ "summary": "Reviewed by the model.", "findings": [] }""");
    }

    public async Task DisposeAsync()
    {
        await _llm.DisposeAsync();
        await _world.DisposeAsync();
    }

    [Fact]
    public async Task Ten_pushes_to_one_pull_request_in_a_moment_end_in_one_review_of_the_last_head()
    {
        // The model answers nobody until the storm is over, so every older run is still pending or mid-review when
        // a newer push arrives: the worst case, the one where a stale review could be posted.
        var storm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _llm.Gate = storm.Task;
        var heads = Enumerable.Range(1, Pushes).Select(i => _world.Push($"Push {i}", new Dictionary<string, string?> { ["src/app.cs"] = $"int a = {i};\n" })).ToList();
        _world.GitHub.AddPullRequestRange(2, _world.Initial, heads[^1]);
        await using var service = await _world.StartServiceAsync(llm: new LlmSettings { BaseUrl = _llm.V1, ApiKey = "sk-test", Model = "test-model", MaxInputTokens = 20_000 });

        var jobs = new List<long>();
        foreach (var head in heads) jobs.Add(await SendAsync(service, head));
        storm.SetResult();
        var ended = new List<JobRecord>();
        foreach (var id in jobs) ended.Add(await service.WaitForJobAsync(id, JobStatus.Completed, JobStatus.Failed, JobStatus.Cancelled));

        AgentWorld.AssertCompleted(ended[^1]);
        Assert.Equal(Enumerable.Repeat(JobStatus.Cancelled, Pushes - 1), ended[..^1].Select(j => j.Status));
        Assert.All(ended[..^1], j => Assert.StartsWith("superseded by job ", j.Error, StringComparison.Ordinal));
        var review = Assert.Single(_world.GitHub.Reviews);
        Assert.Equal(heads[^1], review["commit_id"]!.GetValue<string>());
        Assert.Contains("Reviewed by the model.", review["body"]!.GetValue<string>(), StringComparison.Ordinal);
        // The last head's status ends in success; an older head's, if its run had started, ends as not finished.
        Assert.Equal("success", _world.GitHub.Statuses.Last(s => s["sha"]!.GetValue<string>() == heads[^1])["state"]!.GetValue<string>());
        Assert.DoesNotContain(_world.GitHub.Statuses, s => s["sha"]!.GetValue<string>() != heads[^1] && s["state"]!.GetValue<string>() is "success" or "failure");
    }

    /// <summary>One signed synchronize delivery for <paramref name="head"/>; its job id, without waiting for it.</summary>
    private async Task<long> SendAsync(TestService service, string head)
    {
        var body = _world.Payload("pull_request", "synchronize", n =>
        {
            n["action"] = "synchronize";
            n["number"] = 2;
            n["pull_request"]!["number"] = 2;
            n["pull_request"]!["head"]!["sha"] = head;
            n["pull_request"]!["base"]!["ref"] = "main";
        });
        body = "{\"test_delivery\":\"" + Guid.NewGuid() + "\"," + body.TrimStart()[1..];
        var response = await service.Http.SendAsync(Fixtures.Delivery("pull_request", body, TestService.Secret));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["jobs"]![0]!["id"]!.GetValue<long>();
    }
}
