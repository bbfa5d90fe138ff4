using System.Text.Json.Nodes;
using AgentFactory.Cli;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.Replay;

/// <summary>
/// Replay of the task agent on a stored `issues` delivery: it commits a plan, pushes a branch, opens a pull request and
/// comments on the issue — the push and both API writes land in the report, none on the fake GitHub or its repository.
/// </summary>
public sealed class ReplayTaskAgentTests : IAsyncLifetime
{
    private ReplayWorld _w = null!;

    public async Task InitializeAsync()
    {
        _w = await ReplayWorld.CreateAsync();
        _w.GitHub.AddIssue(7, "Fix the greeting", "The README says 'Helo'.", "agent-task");
        var payload = _w.World.Payload("issues", "labeled", n =>
        {
            n["label"]!["name"] = "agent-task";
            n["issue"]!["number"] = 7;
        });
        await _w.StoreAsync("issue7-labeled", payload, "labeled", eventType: "issues", jobType: "github_issue");
    }

    public async Task DisposeAsync() => await _w.DisposeAsync();

    [Fact]
    public async Task The_push_the_pull_request_and_the_comment_are_in_the_report_and_nowhere_else()
    {
        _w.Mini.Script.Enqueue(ScriptedReply.Say("# Plan\n\n1. Change `Helo` to `Hello`.", inputTokens: 500, outputTokens: 50));
        var path = Path.Combine(_w.WorkDir, "task.json");
        var branches = _w.World.Origin.Git("for-each-ref", "--format=%(refname)");
        var database = _w.DatabaseSnapshot();

        var (exit, output, err) = await _w.RunAsync("--event", "issues", "--agent", "task", "--model", "mini", "--dry-run", "--report", path);

        Assert.True(exit == ExitCodes.Ok, err + output);
        var job = JsonNode.Parse(File.ReadAllText(path))!["jobs"]!.AsArray().Single()!;
        Assert.True(job["outcome"]!.GetValue<string>() == "completed", job.ToJsonString());
        var writes = job["writes"]!.AsArray().Select(w => (w!["method"]!.GetValue<string>(), w["path"]!.GetValue<string>())).ToList();
        Assert.Equal("GIT PUSH", writes[0].Item1);
        Assert.Contains("HEAD:refs/heads/agent-task/issue-7", writes[0].Item2, StringComparison.Ordinal);
        Assert.DoesNotContain(Support.AgentWorld.Token, writes[0].Item2, StringComparison.Ordinal);
        Assert.Equal([("POST", "/repos/octo/widgets/pulls"), ("POST", "/repos/octo/widgets/issues/7/comments")], writes.Skip(1));
        Assert.Equal(500, job["input_tokens"]!.GetValue<long>());

        Assert.Empty(_w.Writes);
        Assert.Equal(database, _w.DatabaseSnapshot());
        Assert.Empty(_w.GitHub.Pulls);
        Assert.Empty(_w.GitHub.IssueComments(7));
        Assert.Equal(branches, _w.World.Origin.Git("for-each-ref", "--format=%(refname)"));
        Assert.DoesNotContain(_w.GitHub.GitRequests, r => r.Path.EndsWith("/git-receive-pack", StringComparison.Ordinal));
    }
}
