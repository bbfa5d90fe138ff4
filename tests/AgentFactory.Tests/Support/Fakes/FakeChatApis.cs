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

    public IEnumerable<string> Texts => Requests.Where(r => r.Path == HookPath).Select(r => JsonNode.Parse(r.Body)!["text"]!.GetValue<string>());

    protected override void Map(WebApplication app) =>
        app.MapPost(HookPath, () => Results.Text("ok", "text/plain"));
}
