using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>The Telegram Bot API's POST /bot&lt;token&gt;/sendMessage.</summary>
public sealed class FakeTelegram : FakeServer
{
    public const string Token = "123456:TEST-token_abc";

    public static async Task<FakeTelegram> StartAsync()
    {
        var fake = new FakeTelegram();
        await fake.ListenAsync();
        return fake;
    }

    /// <summary>
    /// What a reader sees of a sendMessage text in parse_mode HTML (tags applied, entities decoded)
    /// and the links Telegram makes of &lt;a href&gt; tags.
    /// </summary>
    public static (string Text, IReadOnlyList<string> Links) RenderHtml(string html)
    {
        var links = new List<string>();
        var text = System.Text.RegularExpressions.Regex.Replace(html, "<(/?)([a-zA-Z-]+)([^>]*)>", m =>
        {
            var href = System.Text.RegularExpressions.Regex.Match(m.Groups[3].Value, "href=\"([^\"]*)\"");
            if (m.Groups[2].Value == "a" && href.Success) links.Add(System.Net.WebUtility.HtmlDecode(href.Groups[1].Value));
            return "";
        });
        return (System.Net.WebUtility.HtmlDecode(text), links);
    }

    public IEnumerable<JsonNode> Messages => Requests.Where(r => r.Path.EndsWith("/sendMessage", StringComparison.Ordinal) && r.Path.Contains(Token, StringComparison.Ordinal))
        .Select(r => JsonNode.Parse(r.Body)!);

    protected override void Map(WebApplication app) =>
        app.MapPost("/bot{token}/sendMessage", (string token, JsonObject body) => token != Token
            ? Results.Json(new JsonObject { ["ok"] = false, ["error_code"] = 401, ["description"] = "Unauthorized" }, statusCode: 401)
            : Results.Json(new JsonObject
            {
                ["ok"] = true,
                ["result"] = new JsonObject
                {
                    ["message_id"] = 1, ["date"] = 1_700_000_000, ["text"] = body["text"]?.GetValue<string>(),
                    ["chat"] = new JsonObject { ["id"] = -1001, ["type"] = "supergroup", ["title"] = "deploys" },
                },
            }));
}

/// <summary>A Slack incoming webhook: POST {"text": …} answered with "ok".</summary>
public sealed class FakeSlack : FakeServer
{
    public const string HookPath = "/services/T000/B000/XXXX";

    public Uri HookUrl => new(BaseUrl, HookPath.TrimStart('/'));

    public static async Task<FakeSlack> StartAsync()
    {
        var fake = new FakeSlack();
        await fake.ListenAsync();
        return fake;
    }

    /// <summary>
    /// What a reader sees of a mrkdwn text, as Slack parses it: &lt;!channel&gt;/&lt;!here&gt;/&lt;@U…&gt; become
    /// mentions (they notify people), &lt;url|label&gt; a link shown as its label; then &amp;amp; &amp;lt; &amp;gt; decode.
    /// </summary>
    public static (string Text, IReadOnlyList<string> Mentions, IReadOnlyList<(string Url, string Label)> Links) Render(string mrkdwn)
    {
        var mentions = new List<string>();
        var links = new List<(string, string)>();
        var text = System.Text.RegularExpressions.Regex.Replace(mrkdwn, "<([^<>]*)>", m =>
        {
            var inner = m.Groups[1].Value;
            if (inner.StartsWith('!') || inner.StartsWith('@') || inner.StartsWith('#'))
            {
                mentions.Add(inner);
                return "@" + inner.TrimStart('!', '@', '#');
            }
            var bar = inner.IndexOf('|', StringComparison.Ordinal);
            var (url, label) = bar < 0 ? (inner, inner) : (inner[..bar], inner[(bar + 1)..]);
            links.Add((url, label));
            return label;
        });
        return (text.Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal), mentions, links);
    }

    public IEnumerable<string> Texts => Requests.Where(r => r.Path == HookPath).Select(r => JsonNode.Parse(r.Body)!["text"]!.GetValue<string>());

    protected override void Map(WebApplication app) =>
        app.MapPost(HookPath, () => Results.Text("ok", "text/plain"));
}
