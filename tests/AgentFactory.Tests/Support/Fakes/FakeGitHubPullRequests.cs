using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// A pull request someone opened (not the agent): GET /pulls/{n} with its head branch and head repository (a fork's when
/// given), its conversation as an issue (comments on it, as GitHub's issue with "pull_request"), its files as the diff
/// base...head of the repository; and GET /contents/{path}?ref= answering the file at a commit.
/// </summary>
public sealed partial class FakeGitHub
{
    /// <summary>
    /// Pull request <paramref name="number"/> from branch <paramref name="headRef"/> (which must exist in the repository) into
    /// <paramref name="baseRef"/>; <paramref name="headRepository"/> names the fork its branch is in (default: this repository).
    /// </summary>
    public void AddPullRequest(int number, string headRef, string title, string body, string baseRef = "main", string? headRepository = null, string login = "octocat")
    {
        var headSha = GitRepo.Run(GitDirectory, "rev-parse", $"refs/heads/{headRef}").Trim();
        var headRepo = headRepository ?? Repository;
        var pr = new JsonObject
        {
            ["id"] = 9000 + number, ["node_id"] = "PR_" + number, ["number"] = number, ["state"] = "open", ["title"] = title, ["body"] = body,
            ["html_url"] = $"https://github.example/{Repository}/pull/{number}", ["url"] = $"https://api.github.example/repos/{Repository}/pulls/{number}",
            ["user"] = User(login),
            ["head"] = new JsonObject { ["label"] = $"{headRepo.Split('/')[0]}:{headRef}", ["ref"] = headRef, ["sha"] = headSha,
                ["repo"] = new JsonObject { ["id"] = headRepo == Repository ? 1 : 2, ["name"] = headRepo.Split('/')[1], ["full_name"] = headRepo } },
            ["base"] = new JsonObject { ["label"] = $"{Repository.Split('/')[0]}:{baseRef}", ["ref"] = baseRef, ["sha"] = GitRepo.Run(GitDirectory, "rev-parse", $"refs/heads/{baseRef}").Trim() },
            ["created_at"] = "2024-01-01T00:00:00Z", ["updated_at"] = "2024-01-01T00:00:00Z", ["draft"] = false,
        };
        lock (_pulls) _pulls.Add(pr);
        AddIssue(number, title, body);
        _issues[number]["pull_request"] = new JsonObject { ["url"] = $"https://api.github.example/repos/{Repository}/pulls/{number}" };
        AddPullRequestRange(number, baseRef, headRef);
    }

    /// <summary>
    /// Waits until job <paramref name="jobId"/>'s one tracking comment on #<paramref name="number"/> says <paramref name="text"/> (the
    /// orchestrator edits it after the job's row has ended), and returns it.
    /// </summary>
    public async Task<string> TrackingSaysAsync(int number, long jobId, string text)
    {
        string? Body() => TrackingComments(number, jobId).SingleOrDefault()?["body"]?.GetValue<string>();
        await Wait.UntilAsync(() => Body()?.Contains(text, StringComparison.Ordinal) == true, $"job {jobId}'s tracking comment on #{number} to say '{text}' (it says: {Body() ?? "nothing"})");
        Assert.Single(TrackingComments(number, jobId));
        return Body()!;
    }

    /// <summary>GET /contents/{path}?ref= as GitHub answers it for a file: a JSON object with the content in base64.</summary>
    private void MapContents(RouteGroupBuilder api) =>
        api.MapGet("/repos/{owner}/{repo}/contents/{**path}", (string path, string? @ref) =>
        {
            string text;
            try { text = GitRepo.Run(GitDirectory, "show", $"{@ref ?? "HEAD"}:{path}"); }
            catch (InvalidOperationException) { return Error(404, "Not Found"); }
            var bytes = Encoding.UTF8.GetBytes(text);
            return Json(new JsonObject
            {
                ["type"] = "file", ["encoding"] = "base64", ["size"] = bytes.Length, ["name"] = path.Split('/')[^1], ["path"] = path,
                ["content"] = Convert.ToBase64String(bytes, Base64FormattingOptions.InsertLineBreaks), ["sha"] = "0000000000000000000000000000000000000002",
                ["url"] = $"https://api.github.example/repos/{Repository}/contents/{path}", ["html_url"] = $"https://github.example/{Repository}/blob/{@ref}/{path}",
                ["git_url"] = "https://api.github.example/git/blobs/2", ["download_url"] = $"https://raw.github.example/{Repository}/{@ref}/{path}",
            });
        });
}
