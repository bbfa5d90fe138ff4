using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// Pull-request reviews as GitHub keeps them: POST /pulls/{n}/reviews with comments[] placed by
/// "position" in the pull request's diff (an invalid position is 422, as on GitHub), and GET of the
/// reviews and of the review comments, each comment with the new-side "line" its position is on.
/// </summary>
public sealed partial class FakeGitHub
{
    private readonly ConcurrentDictionary<int, List<JsonObject>> _reviewsOf = new();
    private readonly ConcurrentDictionary<int, List<JsonObject>> _reviewComments = new();

    /// <summary>The review comments on pull request <paramref name="number"/>, the posted ones and <see cref="AddReviewComment"/>'s.</summary>
    public IReadOnlyList<JsonObject> ReviewComments(int number) => _reviewComments.TryGetValue(number, out var list) ? Locked(list) : [];

    /// <summary>A review with <paramref name="body"/> by <paramref name="login"/> already on the pull request (someone else's, or an earlier one).</summary>
    public void AddReview(int number, string login, string body, string commitId)
    {
        var id = Interlocked.Increment(ref _nextId);
        var list = _reviewsOf.GetOrAdd(number, _ => []);
        lock (list) list.Add(ReviewJson(number, id, login, body, "COMMENT", commitId));
    }

    /// <summary>A review comment by <paramref name="login"/> on a new-side line.</summary>
    public void AddReviewComment(int number, string login, string path, int line, string body)
    {
        var list = _reviewComments.GetOrAdd(number, _ => []);
        lock (list) list.Add(CommentJson(number, Interlocked.Increment(ref _nextId), 0, login, path, null, line, body, ""));
    }

    private void MapReviews(RouteGroupBuilder api)
    {
        api.MapPost("/repos/{owner}/{repo}/pulls/{number:int}/reviews", async (int number, HttpRequest request) =>
        {
            var body = await BodyOf(request);
            var id = Interlocked.Increment(ref _nextId);
            var commitId = body["commit_id"]?.GetValue<string>() ?? "";
            var comments = new List<JsonObject>();
            var patches = PatchesOf(number);
            foreach (var c in body["comments"]?.AsArray() ?? [])
            {
                var path = c!["path"]!.GetValue<string>();
                var position = c["position"]!.GetValue<int>();
                if (!patches.TryGetValue(path, out var patch) || LineAt(patch, position) is not { } line)
                    return Error(422, "Unprocessable Entity", $"pull_request_review_thread.position {position} is not in the diff of {path}");
                comments.Add(CommentJson(number, Interlocked.Increment(ref _nextId), id, "agentfactory", path, position, line, c["body"]!.GetValue<string>(), commitId));
            }
            var review = ReviewJson(number, id, "agentfactory", body["body"]?.GetValue<string>(), body["event"]?.GetValue<string>(), commitId);
            review["comments"] = new JsonArray([.. comments.Select(c => (JsonNode)c.DeepClone())]);
            Reviews.Enqueue(review);
            var reviews = _reviewsOf.GetOrAdd(number, _ => []);
            lock (reviews) reviews.Add(ReviewJson(number, id, "agentfactory", body["body"]?.GetValue<string>(), body["event"]?.GetValue<string>(), commitId));
            var list = _reviewComments.GetOrAdd(number, _ => []);
            lock (list) list.AddRange(comments);
            return Json(ReviewJson(number, id, "agentfactory", body["body"]?.GetValue<string>(), body["event"]?.GetValue<string>(), commitId));
        });

        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/reviews", (int number) =>
            Json(new JsonArray([.. (_reviewsOf.TryGetValue(number, out var list) ? Locked(list) : []).Select(r => (JsonNode)r.DeepClone())])));

        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/comments", (int number) =>
            Json(new JsonArray([.. ReviewComments(number).Select(c => (JsonNode)c.DeepClone())])));
    }

    private Dictionary<string, string> PatchesOf(int number)
    {
        (string Base, string Head) range;
        lock (_pullRanges) if (!_pullRanges.TryGetValue(number, out range)) return [];
        return GitDiffFiles.Between(GitDirectory, range.Base, range.Head)
            .Where(f => f!["patch"] is not null)
            .ToDictionary(f => f!["filename"]!.GetValue<string>(), f => f!["patch"]!.GetValue<string>());
    }

    /// <summary>The new-side line at a diff position (GitHub's count: 1 is the line under the first "@@"), or null when it is a deleted line, a hunk header or past the end.</summary>
    private static int? LineAt(string patch, int position)
    {
        var lines = patch.Split('\n');
        var newLine = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var m = Regex.Match(lines[i], @"^@@ -\d+(?:,\d+)? \+(\d+)");
            if (m.Success)
            {
                if (i == position) return null;
                newLine = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                continue;
            }
            if (lines[i].StartsWith('-'))
            {
                if (i == position) return null;
                continue;
            }
            if (i == position) return newLine;
            newLine++;
        }
        return null;
    }

    private static List<JsonObject> Locked(List<JsonObject> list)
    {
        lock (list) return [.. list];
    }

    private JsonObject ReviewJson(int number, int id, string login, string? body, string? @event, string commitId) => new()
    {
        ["id"] = id, ["node_id"] = "PRR_" + id, ["user"] = User(login), ["body"] = body, ["event"] = @event, ["state"] = "COMMENTED", ["commit_id"] = commitId,
        ["html_url"] = $"https://github.example/{Repository}/pull/{number}#pullrequestreview-{id}",
        ["pull_request_url"] = $"https://api.github.example/repos/{Repository}/pulls/{number}", ["submitted_at"] = "2024-01-01T00:00:00Z",
    };

    private JsonObject CommentJson(int number, int id, int reviewId, string login, string path, int? position, int line, string body, string commitId) => new()
    {
        ["id"] = id, ["node_id"] = "PRRC_" + id, ["pull_request_review_id"] = reviewId, ["path"] = path, ["position"] = position,
        ["original_position"] = position, ["line"] = line, ["original_line"] = line, ["side"] = "RIGHT", ["body"] = body, ["user"] = User(login),
        ["commit_id"] = commitId, ["original_commit_id"] = commitId, ["diff_hunk"] = "",
        ["html_url"] = $"https://github.example/{Repository}/pull/{number}#discussion_r{id}", ["url"] = "https://api.github.example/comments/" + id,
        ["pull_request_url"] = $"https://api.github.example/repos/{Repository}/pulls/{number}",
        ["created_at"] = "2024-01-01T00:00:00Z", ["updated_at"] = "2024-01-01T00:00:00Z",
    };
}
