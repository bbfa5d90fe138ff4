using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// GitHub's REST API for the endpoints the agents use, backed by a real bare repository for diffs
/// and branches, with JSON shaped as GitHub documents it so that Octokit reads it. It checks
/// credentials: "token X" for the tokens it knows, and App JWTs (RS256, verified with the App's
/// public key) for installation access tokens.
/// </summary>
public sealed partial class FakeGitHub : FakeServer
{
    public const string Prefix = "/api/v3";

    private readonly ConcurrentDictionary<string, bool> _tokens = new();
    private readonly ConcurrentDictionary<int, JsonObject> _issues = new();
    private readonly List<JsonObject> _pulls = [];
    private readonly ConcurrentDictionary<int, List<JsonObject>> _issueComments = new();
    private readonly Dictionary<int, (string Base, string Head)> _pullRanges = [];
    private int _nextId = 100;

    /// <summary>The repository ("owner/name") this fake serves; others are 404.</summary>
    public string Repository { get; }

    /// <summary>The bare repository behind it (branches, commits, diffs).</summary>
    public string GitDirectory { get; }

    /// <summary>Login → the role the collaborator-permission API answers (admin, maintain, write, triage, read, none); others get <see cref="DefaultPermission"/>.</summary>
    public ConcurrentDictionary<string, string> Permissions { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>What the collaborator-permission API answers for a login not in <see cref="Permissions"/>.</summary>
    public string DefaultPermission { get; set; } = "write";

    /// <summary>How many of the next collaborator-permission requests answer 503 (GitHub having an outage).</summary>
    public int PermissionOutages;

    /// <summary>The collaborator-permission requests received, answered or not.</summary>
    public int PermissionChecks => Requests.Count(r => r.Path.EndsWith("/permission", StringComparison.Ordinal));

    public long? AppId { get; set; }
    public RSA? AppPublicKey { get; set; }

    public ConcurrentQueue<JsonObject> CommitComments { get; } = new();
    public ConcurrentQueue<JsonObject> Reviews { get; } = new();
    public IReadOnlyList<JsonObject> Pulls { get { lock (_pulls) return [.. _pulls]; } }
    public IReadOnlyList<JsonObject> IssueComments(int issue) => _issueComments.TryGetValue(issue, out var list) ? [.. list] : [];

    /// <summary>The API base to give Octokit (GitHub Enterprise style: …/api/v3/).</summary>
    public Uri ApiUrl => new(BaseUrl, Prefix.TrimStart('/') + "/");

    private FakeGitHub(string repository, string gitDirectory) => (Repository, GitDirectory) = (repository, gitDirectory);

    public static async Task<FakeGitHub> StartAsync(string repository, string gitDirectory, params string[] tokens)
    {
        var fake = new FakeGitHub(repository, gitDirectory);
        foreach (var t in tokens) fake._tokens[t] = true;
        await fake.ListenAsync();
        return fake;
    }

    public void AddIssue(int number, string title, string body, params string[] labels) =>
        _issues[number] = new JsonObject
        {
            ["id"] = 5000 + number, ["node_id"] = "I_" + number, ["number"] = number, ["title"] = title, ["body"] = body, ["state"] = "open",
            ["html_url"] = $"https://github.example/{Repository}/issues/{number}", ["url"] = $"https://api.github.example/repos/{Repository}/issues/{number}",
            ["user"] = User("octocat"), ["labels"] = new JsonArray([.. labels.Select((l, i) => (JsonNode)new JsonObject { ["id"] = i + 1, ["name"] = l, ["color"] = "ededed" })]),
            ["comments"] = 0, ["created_at"] = "2024-01-01T00:00:00Z", ["updated_at"] = "2024-01-01T00:00:00Z",
        };

    /// <summary>A pull request whose files are the diff base...head of the repository.</summary>
    public void AddPullRequestRange(int number, string @base, string head)
    {
        lock (_pullRanges) _pullRanges[number] = (@base, head);
    }

    /// <summary>The git host's address for <see cref="Repository"/> (what GITHUB_API_URL's git host gives).</summary>
    public string GitUrl => new Uri(BaseUrl, Repository + ".git").AbsoluteUri;

    /// <summary>The requests git made (smart HTTP, outside the API), with the Authorization each carried.</summary>
    public IReadOnlyList<RecordedRequest> GitRequests => [.. Requests.Where(r => !r.Path.StartsWith(Prefix + "/", StringComparison.Ordinal))];

    protected override void Map(WebApplication app)
    {
        // git over smart HTTP at /{owner}/{name}.git, as github.com serves it, with HTTP basic auth
        // "x-access-token:<token>" required for the tokens it knows, fetch and push.
        app.Map("/{owner}/{name}.git/{**rest}", async (HttpContext http, string owner, string name, string rest) =>
        {
            if (!string.Equals($"{owner}/{name}", Repository, StringComparison.OrdinalIgnoreCase))
            {
                http.Response.StatusCode = 404;
                return;
            }
            var auth = http.Request.Headers.Authorization.ToString();
            var basic = auth.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetString(Convert.FromBase64String(auth[6..])) : "";
            if (!basic.StartsWith("x-access-token:", StringComparison.Ordinal) || !_tokens.ContainsKey(basic["x-access-token:".Length..]))
            {
                http.Response.StatusCode = 401;
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"GitHub\"";
                return;
            }
            await GitHttpBackend.ServeAsync(http, GitDirectory, rest, "x-access-token");
        });

        var api = app.MapGroup(Prefix);
        api.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var path = http.Request.Path.Value ?? "";
            if (path.Contains("/app/installations/", StringComparison.Ordinal)) return await next(context);
            var auth = http.Request.Headers.Authorization.ToString();
            var token = auth.StartsWith("token ", StringComparison.OrdinalIgnoreCase) ? auth[6..] : auth.StartsWith("bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..] : "";
            if (!_tokens.ContainsKey(token)) return Error(401, "Bad credentials");
            if (!path.StartsWith($"{Prefix}/repos/{Repository}/", StringComparison.Ordinal)) return Error(404, "Not Found");
            return await next(context);
        });

        api.MapPost("/app/installations/{id:long}/access_tokens", (long id, HttpContext http) =>
        {
            if (!ValidAppJwt(http.Request.Headers.Authorization.ToString())) return Error(401, "A JSON web token could not be decoded");
            var token = $"ghs_installation{id}_{Interlocked.Increment(ref _nextId)}";
            _tokens[token] = true;
            return Json(new JsonObject { ["token"] = token, ["expires_at"] = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ"), ["permissions"] = new JsonObject() }, 201);
        });

        // GET /repos/{owner}/{repo}/collaborators/{username}/permission as GitHub answers it: "permission" is
        // the legacy level (admin, write, read, none), "role_name" the role (maintain and triage too).
        api.MapGet("/repos/{owner}/{repo}/collaborators/{user}/permission", (string user) =>
        {
            if (Interlocked.Decrement(ref PermissionOutages) >= 0) return Error(503, "Service Unavailable");
            var role = Permissions.TryGetValue(user, out var r) ? r : DefaultPermission;
            var legacy = role switch { "maintain" => "write", "triage" => "read", _ => role };
            return Json(new JsonObject { ["permission"] = legacy, ["role_name"] = role, ["user"] = User(user) });
        });

        api.MapGet("/repos/{owner}/{repo}/compare/{spec}", (string spec) =>
        {
            var parts = spec.Split("...");
            var commits = GitRepo.Run(GitDirectory, "log", "--format=%H%x09%s", $"{parts[0]}..{parts[1]}").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return Json(new JsonObject
            {
                ["url"] = "https://api.github.example/compare", ["html_url"] = "https://github.example/compare", ["status"] = "ahead",
                ["ahead_by"] = commits.Length, ["behind_by"] = 0, ["total_commits"] = commits.Length,
                ["commits"] = new JsonArray([.. commits.Select(c => (JsonNode)CommitJson(c.Split('\t')[0], c.Split('\t')[1], null))]),
                ["files"] = GitDiffFiles.Between(GitDirectory, parts[0], parts[1]),
            });
        });

        api.MapGet("/repos/{owner}/{repo}/commits/{sha}", (string sha) =>
            Json(CommitJson(sha, GitRepo.Run(GitDirectory, "log", "-1", "--format=%s", sha).Trim(), GitDiffFiles.OfCommit(GitDirectory, sha))));

        api.MapPost("/repos/{owner}/{repo}/commits/{sha}/comments", async (string sha, HttpRequest request) =>
        {
            var body = await BodyOf(request);
            var id = Interlocked.Increment(ref _nextId);
            var comment = new JsonObject
            {
                ["id"] = id, ["node_id"] = "CC_" + id, ["body"] = body["body"]?.GetValue<string>(), ["commit_id"] = sha,
                ["html_url"] = $"https://github.example/{Repository}/commit/{sha}#commitcomment-{id}", ["url"] = "https://api.github.example/comments/" + id,
                ["user"] = User("agentfactory"), ["created_at"] = "2024-01-01T00:00:00Z", ["updated_at"] = "2024-01-01T00:00:00Z",
            };
            CommitComments.Enqueue(comment);
            return Json(comment, 201);
        });

        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/files", (int number) =>
        {
            (string Base, string Head) range;
            lock (_pullRanges) if (!_pullRanges.TryGetValue(number, out range)) return Error(404, "Not Found");
            return Json(GitDiffFiles.Between(GitDirectory, range.Base, range.Head));
        });

        api.MapGet("/repos/{owner}/{repo}/pulls", (string? state, string? head) =>
        {
            lock (_pulls)
                return Json(new JsonArray([.. _pulls.Where(p => (state is null or "all" || p["state"]!.GetValue<string>() == state)
                    && (head is null || head == p["head"]!["label"]!.GetValue<string>())).Select(p => p.DeepClone())]));
        });

        api.MapPost("/repos/{owner}/{repo}/pulls", async (HttpRequest request) =>
        {
            var body = await BodyOf(request);
            var head = body["head"]!.GetValue<string>();
            var baseRef = body["base"]!.GetValue<string>();
            string headSha;
            try { headSha = GitRepo.Run(GitDirectory, "rev-parse", "--verify", "--quiet", $"refs/heads/{head}^{{commit}}").Trim(); }
            catch (InvalidOperationException) { return Error(422, "Validation Failed", $"head: branch {head} does not exist"); }
            lock (_pulls)
            {
                if (_pulls.Exists(p => p["head"]!["ref"]!.GetValue<string>() == head && p["state"]!.GetValue<string>() == "open"))
                    return Error(422, "Validation Failed", $"A pull request already exists for {Repository.Split('/')[0]}:{head}.");
                var number = 10 + _pulls.Count;
                var pr = new JsonObject
                {
                    ["id"] = 9000 + number, ["node_id"] = "PR_" + number, ["number"] = number, ["state"] = "open", ["title"] = body["title"]?.GetValue<string>(),
                    ["body"] = body["body"]?.GetValue<string>(), ["html_url"] = $"https://github.example/{Repository}/pull/{number}",
                    ["url"] = $"https://api.github.example/repos/{Repository}/pulls/{number}", ["user"] = User("agentfactory"),
                    ["head"] = new JsonObject { ["label"] = $"{Repository.Split('/')[0]}:{head}", ["ref"] = head, ["sha"] = headSha,
                        ["repo"] = new JsonObject { ["id"] = 1, ["name"] = Repository.Split('/')[1], ["full_name"] = Repository } },
                    ["base"] = new JsonObject { ["label"] = $"{Repository.Split('/')[0]}:{baseRef}", ["ref"] = baseRef, ["sha"] = "" },
                    ["created_at"] = "2024-01-01T00:00:00Z", ["updated_at"] = "2024-01-01T00:00:00Z",
                    ["draft"] = body["draft"]?.GetValue<bool>() ?? false,
                };
                _pulls.Add(pr);
                return Json(pr.DeepClone(), 201);
            }
        });

        api.MapGet("/repos/{owner}/{repo}/issues/{number:int}", (int number) =>
            _issues.TryGetValue(number, out var issue) ? Json(issue.DeepClone()) : Error(404, "Not Found"));

        api.MapGet("/repos/{owner}/{repo}/issues/{number:int}/comments", (int number) =>
            Json(new JsonArray([.. IssueComments(number).Select(c => c.DeepClone())])));

        api.MapPost("/repos/{owner}/{repo}/issues/{number:int}/comments", async (int number, HttpRequest request) =>
        {
            var body = await BodyOf(request);
            if (!_issues.ContainsKey(number)) return Error(404, "Not Found");
            var id = Interlocked.Increment(ref _nextId);
            var comment = new JsonObject
            {
                ["id"] = id, ["node_id"] = "IC_" + id, ["body"] = body["body"]?.GetValue<string>(), ["user"] = User("agentfactory"),
                ["html_url"] = $"https://github.example/{Repository}/issues/{number}#issuecomment-{id}", ["url"] = "https://api.github.example/comments/" + id,
                ["created_at"] = "2024-01-01T00:00:00Z", ["updated_at"] = "2024-01-01T00:00:00Z",
            };
            var list = _issueComments.GetOrAdd(number, _ => []);
            lock (list) list.Add(comment);
            return Json(comment, 201);
        });
        MapEdits(app, api);
        MapFollowUps(api);
        MapReviews(api);
        MapChecks(api);
        MapContents(api);
    }

    /// <summary>Octokit labels its JSON bodies application/x-www-form-urlencoded, and GitHub reads them as JSON anyway; so does this fake.</summary>
    private static async Task<JsonObject> BodyOf(HttpRequest request) =>
        JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync())!.AsObject();

    private bool ValidAppJwt(string authorization) => ValidAppJwt(authorization, AppId, AppPublicKey);

    /// <summary>An "Authorization: Bearer JWT" header signed by the App's key, issued by the App and not expired.</summary>
    internal static bool ValidAppJwt(string authorization, long? appId, RSA? appPublicKey)
    {
        if (appPublicKey is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var parts = authorization[7..].Split('.');
        if (parts.Length != 3) return false;
        var signed = appPublicKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var claims = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]))!;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return signed && claims["iss"]!.GetValue<long>() == appId && claims["exp"]!.GetValue<long>() > now && claims["iat"]!.GetValue<long>() <= now;
    }

    private static JsonObject CommitJson(string sha, string message, JsonArray? files)
    {
        var commit = new JsonObject
        {
            ["sha"] = sha, ["node_id"] = "C_" + sha, ["url"] = "https://api.github.example/commits/" + sha, ["html_url"] = "https://github.example/commit/" + sha,
            ["commit"] = new JsonObject { ["message"] = message, ["author"] = new JsonObject { ["name"] = "Test Author", ["email"] = "test@example.com", ["date"] = "2024-01-01T00:00:00Z" } },
        };
        if (files is not null) commit["files"] = files;
        return commit;
    }

    private static JsonObject User(string login) => new() { ["login"] = login, ["id"] = login.Length, ["type"] = "User" };

    private static IResult Json(JsonNode node, int status = 200) =>
        Results.Text(node.ToJsonString(), "application/json; charset=utf-8", Encoding.UTF8, status);

    public static IResult Error(int status, string message, string? detail = null)
    {
        var body = new JsonObject { ["message"] = message, ["documentation_url"] = "https://docs.github.com/rest", ["status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (detail is not null) body["errors"] = new JsonArray(new JsonObject { ["resource"] = "PullRequest", ["code"] = "custom", ["message"] = detail });
        return Json(body, status);
    }

    /// <summary>A GitHub error body, for <see cref="FakeServer.Fail"/>.</summary>
    public static string ErrorBody(string message) => JsonSerializer.Serialize(new { message, documentation_url = "https://docs.github.com/rest" });
}
