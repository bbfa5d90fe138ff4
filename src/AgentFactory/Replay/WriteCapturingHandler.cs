using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentFactory.Replay;

/// <summary>
/// The outermost handler of the GitHub HTTP pipeline during `agentfactory replay`: reads (GET, HEAD, and GraphQL
/// queries) go on to GitHub; writes (POST, PATCH, PUT, DELETE, and GraphQL mutations) are recorded in
/// <see cref="CapturedWrites"/> and answered as GitHub answers an accepted write (201/200/204 with an object carrying
/// an id and an html_url under https://replay.invalid/), so the agent carries on as if it had posted. The one POST
/// that is sent is the GitHub App's installation-token request: it changes nothing on GitHub and the reads need it.
/// </summary>
public sealed partial class WriteCapturingHandler(CapturedWrites writes, Uri apiUrl) : DelegatingHandler
{
    public const string CapturedHost = "https://replay.invalid/";

    private long _next;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var method = request.Method.Method.ToUpperInvariant();
        if (method is "GET" or "HEAD" or "OPTIONS") return await base.SendAsync(request, cancellationToken);
        var path = RelativePath(request.RequestUri);
        var route = path.Split('?')[0];
        if (method == "POST" && TokenRequest().IsMatch(route)) return await base.SendAsync(request, cancellationToken);
        // Reading buffers the content, so a query read here is still sent whole.
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var graphQl = route.EndsWith("/graphql", StringComparison.Ordinal);
        if (graphQl && method == "POST" && !IsMutation(body)) return await base.SendAsync(request, cancellationToken);
        writes.Add(new CapturedWrite(method, path, body));
        return Accepted(request, method, path, graphQl, body, Interlocked.Increment(ref _next));
    }

    /// <summary>A GraphQL document is a mutation when its first operation keyword says so; anything unreadable is treated as one (it is not sent).</summary>
    internal static bool IsMutation(string? body)
    {
        try
        {
            var query = JsonNode.Parse(body ?? "")?["query"]?.GetValue<string>();
            if (query is null) return true;
            var text = Comments().Replace(query, "").TrimStart();
            return !(text.StartsWith('{') || QueryKeyword().IsMatch(text));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return true;
        }
    }

    private string RelativePath(Uri? uri)
    {
        if (uri is null) return "/";
        var baseText = apiUrl.AbsoluteUri.TrimEnd('/');
        var full = uri.AbsoluteUri;
        var rest = full.StartsWith(baseText, StringComparison.OrdinalIgnoreCase) ? full[baseText.Length..] : uri.PathAndQuery;
        return rest.StartsWith('/') ? rest : "/" + rest;
    }

    private static HttpResponseMessage Accepted(HttpRequestMessage request, string method, string path, bool graphQl, string? body, long n)
    {
        if (method == "DELETE") return new HttpResponseMessage(HttpStatusCode.NoContent) { RequestMessage = request };
        JsonNode answer;
        if (graphQl) answer = new JsonObject { ["data"] = new JsonObject() };
        else if (TryParse(body) is JsonArray) answer = new JsonArray();
        else
        {
            var sent = TryParse(body) as JsonObject;
            var url = $"{CapturedHost}captured/{n}";
            var obj = new JsonObject
            {
                ["id"] = n, ["node_id"] = "REPLAY_" + n, ["html_url"] = url, ["url"] = url,
                ["user"] = new JsonObject { ["login"] = "agentfactory-replay", ["id"] = 0, ["type"] = "Bot" },
                ["created_at"] = "2000-01-01T00:00:00Z", ["updated_at"] = "2000-01-01T00:00:00Z", ["submitted_at"] = "2000-01-01T00:00:00Z",
            };
            // A new issue or pull request has a number; n is no real one, and the report says it was captured.
            if (method == "POST" && path.Split('?')[0] is var p && (p.EndsWith("/pulls", StringComparison.Ordinal) || p.EndsWith("/issues", StringComparison.Ordinal)))
                obj["number"] = n;
            foreach (var field in new[] { "body", "commit_id", "sha", "title" })
                if (sent?[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String) obj[field] = v.GetValue<string>();
            answer = obj;
        }
        return new HttpResponseMessage(method == "POST" ? HttpStatusCode.Created : HttpStatusCode.OK)
        {
            RequestMessage = request,
            Content = new StringContent(answer.ToJsonString(), Encoding.UTF8, "application/json"),
        };
    }

    private static JsonNode? TryParse(string? body)
    {
        try
        {
            return string.IsNullOrWhiteSpace(body) ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^/app/installations/\d+/access_tokens$")]
    private static partial Regex TokenRequest();

    [GeneratedRegex(@"^query\b")]
    private static partial Regex QueryKeyword();

    [GeneratedRegex(@"#[^\n]*")]
    private static partial Regex Comments();
}
