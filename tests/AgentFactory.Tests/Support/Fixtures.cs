using System.Text;
using System.Text.Json.Nodes;
using AgentFactory.Ingest;

namespace AgentFactory.Tests.Support;

/// <summary>Recorded GitHub payloads under Fixtures/github/&lt;event&gt;/&lt;name&gt;.json (see the README there).</summary>
public static class Fixtures
{
    public static string Read(string eventName, string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "github", eventName, name + ".json"));

    /// <summary>A recorded payload with one change, e.g. the label renamed to "agent-task".</summary>
    public static string Modified(string eventName, string name, Action<JsonNode> change)
    {
        var node = JsonNode.Parse(Read(eventName, name))!;
        change(node);
        return node.ToJsonString();
    }

    /// <summary>A request exactly as GitHub sends it: headers, content type and signature over the raw body.</summary>
    public static HttpRequestMessage Delivery(string eventName, string body, string secret, string? deliveryId = null, string hookId = "12345678", string contentType = "application/json")
    {
        var raw = contentType == "application/x-www-form-urlencoded"
            ? "payload=" + Uri.EscapeDataString(body)
            : body;
        var bytes = Encoding.UTF8.GetBytes(raw);
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        request.Headers.Add("User-Agent", "GitHub-Hookshot/test");
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", deliveryId ?? Guid.NewGuid().ToString());
        request.Headers.Add("X-GitHub-Hook-ID", hookId);
        request.Headers.Add("X-Hub-Signature-256", WebhookSignature.Sign(secret, bytes));
        return request;
    }
}
