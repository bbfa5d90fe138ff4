using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// Check runs (POST /check-runs, PATCH /check-runs/{id}) and commit statuses (POST /statuses/{sha}) as GitHub keeps
/// them: check runs only for a GitHub App's installation token (403 for a user's token, as on GitHub), each write of
/// a status kept in order.
/// </summary>
public sealed partial class FakeGitHub
{
    private readonly ConcurrentDictionary<long, JsonObject> _checkRuns = new();
    private readonly ConcurrentQueue<JsonObject> _statuses = new();

    /// <summary>The check runs as they are now (after every update), oldest first.</summary>
    public IReadOnlyList<JsonObject> CheckRuns => [.. _checkRuns.OrderBy(p => p.Key).Select(p => p.Value)];

    /// <summary>Every commit status written, in order (GitHub keeps them all; the newest per context counts).</summary>
    public IReadOnlyList<JsonObject> Statuses => [.. _statuses];

    private void MapChecks(RouteGroupBuilder api)
    {
        api.MapPost("/repos/{owner}/{repo}/check-runs", async (HttpRequest request) =>
        {
            if (!FromInstallation(request)) return Error(403, "You must authenticate via a GitHub App.");
            var body = await BodyOf(request);
            var id = Interlocked.Increment(ref _nextId);
            var run = new JsonObject
            {
                ["id"] = id, ["name"] = body["name"]?.GetValue<string>(), ["head_sha"] = body["head_sha"]?.GetValue<string>(),
                ["status"] = body["status"]?.GetValue<string>() ?? "queued", ["conclusion"] = null, ["started_at"] = "2024-01-01T00:00:00Z",
                ["output"] = body["output"]?.DeepClone(), ["html_url"] = $"https://github.example/{Repository}/runs/{id}",
            };
            _checkRuns[id] = run;
            return Json(run.DeepClone(), 201);
        });
        api.MapMethods("/repos/{owner}/{repo}/check-runs/{id:long}", ["PATCH"], async (long id, HttpRequest request) =>
        {
            if (!FromInstallation(request)) return Error(403, "You must authenticate via a GitHub App.");
            if (!_checkRuns.TryGetValue(id, out var run)) return Error(404, "Not Found");
            var body = await BodyOf(request);
            foreach (var (key, value) in body) run[key] = value?.DeepClone();
            return Json(run.DeepClone());
        });
        api.MapPost("/repos/{owner}/{repo}/statuses/{sha}", async (string sha, HttpRequest request) =>
        {
            var body = await BodyOf(request);
            var id = Interlocked.Increment(ref _nextId);
            var status = new JsonObject
            {
                ["id"] = id, ["sha"] = sha, ["state"] = body["state"]?.GetValue<string>(), ["context"] = body["context"]?.GetValue<string>() ?? "default",
                ["description"] = body["description"]?.GetValue<string>(), ["target_url"] = body["target_url"]?.GetValue<string>(),
                ["created_at"] = "2024-01-01T00:00:00Z", ["updated_at"] = "2024-01-01T00:00:00Z", ["creator"] = User("agentfactory"),
            };
            var description = status["description"]?.GetValue<string>();
            if (description is { Length: > 140 }) return Error(422, "Validation Failed", "description is too long (maximum is 140 characters)");
            _statuses.Enqueue(status);
            return Json(status.DeepClone(), 201);
        });
    }

    /// <summary>Installation tokens are the ones this fake minted for an App ("ghs_installation…").</summary>
    private static bool FromInstallation(HttpRequest request) =>
        request.Headers.Authorization.ToString().Contains("ghs_installation", StringComparison.Ordinal);
}
