using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>The fake's edits: a pull request's body, a comment's text, and GraphQL's markPullRequestReadyForReview (REST cannot leave draft).</summary>
public sealed partial class FakeGitHub
{
    /// <summary>Every comment edit, as (comment id, new body).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(long Id, string Body)> CommentEdits { get; } = new();

    private void MapEdits(WebApplication app, RouteGroupBuilder api)
    {
        api.MapPatch("/repos/{owner}/{repo}/pulls/{number:int}", async (int number, HttpRequest request) =>
        {
            var body = await BodyOf(request);
            lock (_pulls)
            {
                var pr = _pulls.Find(p => p["number"]!.GetValue<int>() == number);
                if (pr is null) return Error(404, "Not Found");
                foreach (var field in new[] { "title", "body", "state" })
                    if (body[field] is { } value) pr[field] = value.DeepClone();
                return Json(pr.DeepClone());
            }
        });

        api.MapPatch("/repos/{owner}/{repo}/issues/comments/{id:long}", async (long id, HttpRequest request) =>
        {
            var text = (await BodyOf(request))["body"]!.GetValue<string>();
            foreach (var list in _issueComments.Values)
                lock (list)
                    if (list.Find(c => c["id"]!.ToJsonString() == id.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } comment) // ids are stored as int
                    {
                        comment["body"] = text;
                        CommentEdits.Enqueue((id, text));
                        return Json(comment.DeepClone());
                    }
            return Error(404, "Not Found");
        });

        // GitHub Enterprise Server serves GraphQL at /api/graphql next to REST's /api/v3.
        app.MapPost("/api/graphql", async (HttpRequest request) =>
        {
            var body = await BodyOf(request);
            var id = body["variables"]?["id"]?.GetValue<string>();
            if (body["query"]?.GetValue<string>()?.Contains("markPullRequestReadyForReview", StringComparison.Ordinal) != true || id is null)
                return Error(400, "Only markPullRequestReadyForReview is faked");
            lock (_pulls)
            {
                var pr = _pulls.Find(p => p["node_id"]!.GetValue<string>() == id);
                if (pr is null) return Json(new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["message"] = "Could not resolve to a node" }) });
                pr["draft"] = false;
                return Json(new JsonObject { ["data"] = new JsonObject { ["markPullRequestReadyForReview"] = new JsonObject { ["pullRequest"] = new JsonObject { ["isDraft"] = false } } } });
            }
        });
    }
}
