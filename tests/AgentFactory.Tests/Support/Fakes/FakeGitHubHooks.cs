using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// GitHub's webhook deliveries API as documented: list a hook's deliveries newest first, paged by
/// an opaque cursor in the Link header (rel="next"), and POST …/deliveries/{id}/attempts to
/// redeliver (202; the redelivery then appears as a new entry with redelivery: true and the same
/// guid). Repository and organisation hooks take "token X"; the App's hook (/app/hook/…) and GET
/// /app only an App JWT. Also GET /rate_limit, for doctor.
/// </summary>
public sealed class FakeGitHubHooks : FakeServer
{
    private readonly ConcurrentDictionary<string, bool> _tokens = new();
    private readonly Dictionary<string, List<JsonObject>> _hooks = [];
    private long _nextId = 1000;

    public long? AppId { get; set; }
    public RSA? AppPublicKey { get; set; }

    /// <summary>Every redelivery asked for: (hook key as in <see cref="AddDelivery"/>, delivery id).</summary>
    public ConcurrentQueue<(string Hook, long Id)> Redeliveries { get; } = new();

    public Uri ApiUrl => new(BaseUrl, "api/v3/");

    public static async Task<FakeGitHubHooks> StartAsync(params string[] tokens)
    {
        var fake = new FakeGitHubHooks();
        foreach (var t in tokens) fake._tokens[t] = true;
        await fake.ListenAsync();
        return fake;
    }

    /// <summary>Adds one attempt to a hook ("repos/owner/name/hooks/1", "orgs/acme/hooks/2" or "app/hook"); returns its id.</summary>
    public long AddDelivery(string hook, string deliveryGuid, DateTimeOffset at, int statusCode, bool redelivery = false, string @event = "push", string? action = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var delivery = new JsonObject
        {
            ["id"] = id, ["guid"] = deliveryGuid, ["delivered_at"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["redelivery"] = redelivery, ["duration"] = 0.27, ["status"] = statusCode is >= 200 and < 300 ? "OK" : statusCode == 0 ? "Invalid HTTP Response: 0" : $"Invalid HTTP Response: {statusCode}",
            ["status_code"] = statusCode, ["event"] = @event, ["action"] = action, ["installation_id"] = hook == "app/hook" ? 77 : null, ["repository_id"] = 4242,
        };
        lock (_hooks)
        {
            if (!_hooks.TryGetValue(hook, out var list)) _hooks[hook] = list = [];
            list.Add(delivery);
            list.Sort((a, b) => string.CompareOrdinal(b["delivered_at"]!.GetValue<string>(), a["delivered_at"]!.GetValue<string>()) is var c and not 0
                ? c : b["id"]!.GetValue<long>().CompareTo(a["id"]!.GetValue<long>()));
        }
        return id;
    }

    protected override void Map(WebApplication app)
    {
        var api = app.MapGroup("/api/v3");
        api.MapGet("/rate_limit", (HttpContext http) =>
        {
            if (!TokenOk(http)) return FakeGitHub.Error(401, "Bad credentials");
            var core = new JsonObject { ["limit"] = 5000, ["remaining"] = 4999, ["reset"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(), ["used"] = 1, ["resource"] = "core" };
            return Json(new JsonObject { ["resources"] = new JsonObject { ["core"] = core, ["search"] = core.DeepClone(), ["graphql"] = core.DeepClone() }, ["rate"] = core.DeepClone() });
        });
        api.MapGet("/app", (HttpContext http) => JwtOk(http)
            ? Json(new JsonObject { ["id"] = AppId, ["slug"] = "agent-factory", ["name"] = "Agent Factory", ["owner"] = new JsonObject { ["login"] = "acme", ["id"] = 1 } })
            : FakeGitHub.Error(401, "A JSON web token could not be decoded"));

        api.MapGet("/repos/{owner}/{repo}/hooks/{id:long}/deliveries", (string owner, string repo, long id, HttpContext http) =>
            TokenOk(http) ? Page($"repos/{owner}/{repo}/hooks/{id}", http) : FakeGitHub.Error(401, "Bad credentials"));
        api.MapPost("/repos/{owner}/{repo}/hooks/{id:long}/deliveries/{delivery:long}/attempts", (string owner, string repo, long id, long delivery, HttpContext http) =>
            TokenOk(http) ? Redeliver($"repos/{owner}/{repo}/hooks/{id}", delivery) : FakeGitHub.Error(401, "Bad credentials"));
        api.MapGet("/orgs/{org}/hooks/{id:long}/deliveries", (string org, long id, HttpContext http) =>
            TokenOk(http) ? Page($"orgs/{org}/hooks/{id}", http) : FakeGitHub.Error(401, "Bad credentials"));
        api.MapPost("/orgs/{org}/hooks/{id:long}/deliveries/{delivery:long}/attempts", (string org, long id, long delivery, HttpContext http) =>
            TokenOk(http) ? Redeliver($"orgs/{org}/hooks/{id}", delivery) : FakeGitHub.Error(401, "Bad credentials"));
        api.MapGet("/app/hook/deliveries", (HttpContext http) =>
            JwtOk(http) ? Page("app/hook", http) : FakeGitHub.Error(401, "A JSON web token could not be decoded"));
        api.MapPost("/app/hook/deliveries/{delivery:long}/attempts", (long delivery, HttpContext http) =>
            JwtOk(http) ? Redeliver("app/hook", delivery) : FakeGitHub.Error(401, "A JSON web token could not be decoded"));
    }

    private bool TokenOk(HttpContext http)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        return auth.StartsWith("token ", StringComparison.OrdinalIgnoreCase) && _tokens.ContainsKey(auth[6..]);
    }

    private bool JwtOk(HttpContext http) => FakeGitHub.ValidAppJwt(http.Request.Headers.Authorization.ToString(), AppId, AppPublicKey);

    /// <summary>per_page (default 30, at most 100) from the cursor on; a next link while more remain.</summary>
    private IResult Page(string hook, HttpContext http)
    {
        var perPage = Math.Clamp(int.TryParse(http.Request.Query["per_page"], out var p) ? p : 30, 1, 100);
        var cursor = http.Request.Query["cursor"].ToString();
        var start = cursor.StartsWith("v1_", StringComparison.Ordinal) ? int.Parse(cursor[3..], CultureInfo.InvariantCulture) : 0;
        JsonNode[] page;
        bool more;
        lock (_hooks)
        {
            var list = _hooks.GetValueOrDefault(hook) ?? [];
            page = [.. list.Skip(start).Take(perPage).Select(d => d.DeepClone())];
            more = start + perPage < list.Count;
        }
        if (more)
            http.Response.Headers.Link = $"<{ApiUrl}{hook}/deliveries?per_page={perPage}&cursor=v1_{start + perPage}>; rel=\"next\"";
        return Json(new JsonArray(page));
    }

    private IResult Redeliver(string hook, long id)
    {
        JsonObject? original;
        lock (_hooks) original = _hooks.GetValueOrDefault(hook)?.Find(d => d["id"]!.GetValue<long>() == id);
        if (original is null) return FakeGitHub.Error(404, "Not Found");
        Redeliveries.Enqueue((hook, id));
        AddDelivery(hook, original["guid"]!.GetValue<string>(), DateTimeOffset.UtcNow, 200, redelivery: true, original["event"]!.GetValue<string>());
        return Json(new JsonObject(), 202);
    }

    private static IResult Json(JsonNode node, int status = 200) =>
        Results.Text(node.ToJsonString(), "application/json; charset=utf-8", Encoding.UTF8, status);
}
