using AgentFactory.Agents;
using AgentFactory.GitHub;
using AgentFactory.Jobs;
using AgentFactory.Replay;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Octokit;

namespace AgentFactory.Tests.Replay;

/// <summary>
/// The capturing handler in the real GitHub pipeline: every Octokit client <see cref="GitHubClients"/> hands out, talking
/// to the fake GitHub over loopback, has its writes recorded and answered, its reads sent.
/// </summary>
public sealed class WriteCapturingHandlerTests : IAsyncLifetime
{
    private AgentWorld _world = null!;

    public async Task InitializeAsync()
    {
        _world = await AgentWorld.CreateAsync();
        _world.GitHub.AddIssue(1, "An issue", "Its body.");
    }

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private static AgentJob Job() =>
        new(new JobRecord(42, "github_issue", "{\"repository\":{\"full_name\":\"" + AgentWorld.Repository + "\"}}", JobStatus.Running, 0, 1, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            DateTimeOffset.UtcNow, null, null, [], null, "replay", null, 7));

    /// <summary>
    /// Attack: an agent goes around its own helpers and calls Octokit directly — REST POST, PATCH, DELETE, a JSON-array
    /// body, and a GraphQL mutation — to change the repository during a replay. None of it reaches GitHub; each is in the report.
    /// </summary>
    [Fact]
    public async Task Writes_of_every_kind_are_captured_and_answered_while_reads_and_graphql_queries_reach_github()
    {
        var writes = new CapturedWrites();
        using var clients = new GitHubClients(_world.TokenSettings(), TimeProvider.System, NullLogger<GitHubClients>.Instance, writes);
        var repo = await clients.ForJobAsync(Job(), "probe", default);
        var (owner, name) = (repo.Owner, repo.Name);

        var issue = await repo.Client.Issue.Get(owner, name, 1);
        var comment = await repo.Client.Issue.Comment.Create(owner, name, 1, "Posted during a replay.");
        await repo.Client.Issue.Comment.Update(owner, name, 777, "Edited during a replay.");
        await repo.Client.Issue.Comment.Delete(owner, name, 777);
        var labels = await repo.Client.Issue.Labels.AddToIssue(owner, name, 1, ["replayed"]);
        var graphql = new Uri(_world.GitHub.BaseUrl, "api/graphql");
        await repo.Client.Connection.Post<object>(graphql, new { query = "mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { clientMutationId } }", variables = new { id = "PR_1" } },
            "application/json", "application/json");
        // A query is a read: it is sent (the fake answers 400 to anything but its one mutation, which proves it arrived).
        await Assert.ThrowsAnyAsync<ApiException>(() => repo.Client.Connection.Post<object>(graphql, new { query = "query { viewer { login } }" }, "application/json", "application/json"));

        Assert.Equal("An issue", issue.Title);
        Assert.StartsWith(WriteCapturingHandler.CapturedHost, comment.HtmlUrl, StringComparison.Ordinal);
        Assert.Equal("Posted during a replay.", comment.Body);
        Assert.Empty(labels);
        Assert.Empty(_world.GitHub.IssueComments(1));
        var sent = _world.GitHub.Requests.Where(r => r.Method != "GET").ToList();
        var query = Assert.Single(sent);
        Assert.Equal("/api/graphql", query.Path);
        Assert.Contains("viewer", query.Body, StringComparison.Ordinal);

        var captured = writes.Take();
        Assert.Equal(
            [("POST", "/repos/octo/widgets/issues/1/comments"), ("PATCH", "/repos/octo/widgets/issues/comments/777"), ("DELETE", "/repos/octo/widgets/issues/comments/777"),
             ("POST", "/repos/octo/widgets/issues/1/labels"), ("POST", "/api/graphql")],
            captured.Select(w => (w.Method, w.Path)));
        Assert.Contains("Posted during a replay.", captured[0].Body, StringComparison.Ordinal);
        Assert.Contains("markPullRequestReadyForReview", captured[4].Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"query":"{ viewer { login } }"}""", false)]
    [InlineData("""{"query":"query Viewer { viewer { login } }"}""", false)]
    [InlineData("""{"query":"# a comment\nquery { viewer { login } }"}""", false)]
    [InlineData("""{"query":"mutation { addStar(input: {starrableId: \"x\"}) { clientMutationId } }"}""", true)]
    [InlineData("""{"query":"# query {\nmutation { x }"}""", true)]
    [InlineData("""{"query":"queryX { y }"}""", true)]
    [InlineData("not json", true)]
    [InlineData("""{"variables":{}}""", true)]
    public void A_graphql_document_is_a_read_only_when_it_is_a_query(string body, bool mutation) =>
        Assert.Equal(mutation, WriteCapturingHandler.IsMutation(body));
}
