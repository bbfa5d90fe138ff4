using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>The fake's side of follow-ups on review: one pull request, a review's comments, and the replies posted to them.</summary>
public sealed partial class FakeGitHub
{
    private readonly ConcurrentDictionary<long, JsonArray> _followUpComments = new();

    /// <summary>Every reply to a review comment, as (comment replied to, body).</summary>
    public ConcurrentQueue<(long InReplyTo, string Body)> Replies { get; } = new();

    /// <summary>Review <paramref name="reviewId"/> has these comments: (id, path, body).</summary>
    public void AddReviewComments(long reviewId, params (long Id, string Path, string Body)[] comments) =>
        _followUpComments[reviewId] = new JsonArray([.. comments.Select(c => (JsonNode)new JsonObject
        {
            ["id"] = c.Id, ["node_id"] = "RC_" + c.Id, ["path"] = c.Path, ["body"] = c.Body, ["position"] = 1, ["original_position"] = 1,
            ["diff_hunk"] = "@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b", ["commit_id"] = "", ["original_commit_id"] = "",
            ["user"] = User("octocat"), ["url"] = "https://api.github.example/comments/" + c.Id, ["html_url"] = "https://github.example/comments/" + c.Id,
            ["pull_request_review_id"] = reviewId, ["created_at"] = "2024-01-01T00:00:00Z", ["updated_at"] = "2024-01-01T00:00:00Z",
        })]);

    private void MapFollowUps(RouteGroupBuilder api)
    {
        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}", (int number) =>
        {
            lock (_pulls)
                return _pulls.Find(p => p["number"]!.GetValue<int>() == number) is { } pr ? Json(pr.DeepClone()) : Error(404, "Not Found");
        });

        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/reviews/{review:long}/comments", (long review) =>
            Json(_followUpComments.TryGetValue(review, out var list) ? list.DeepClone() : new JsonArray()));

        // GitHub takes a reply both ways: …/comments/{id}/replies, and …/comments with in_reply_to (what Octokit sends).
        api.MapPost("/repos/{owner}/{repo}/pulls/{number:int}/comments", async (HttpRequest request) =>
        {
            var json = await BodyOf(request);
            return json["in_reply_to"] is { } to ? Reply(to.GetValue<long>(), json["body"]!.GetValue<string>()) : Error(422, "Only replies are faked");
        });
        api.MapPost("/repos/{owner}/{repo}/pulls/{number:int}/comments/{id:long}/replies", async (long id, HttpRequest request) =>
            Reply(id, (await BodyOf(request))["body"]!.GetValue<string>()));
    }

    private IResult Reply(long id, string body)
    {
        {
            Replies.Enqueue((id, body));
            var reply = new JsonObject
            {
                ["id"] = Interlocked.Increment(ref _nextId), ["body"] = body, ["in_reply_to_id"] = id, ["path"] = "", ["user"] = User("agentfactory"),
                ["created_at"] = "2024-01-01T00:00:00Z", ["updated_at"] = "2024-01-01T00:00:00Z",
            };
            return Json(reply, 201);
        }
    }
}
