using System.Net;
using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using AgentFactory.Notify;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentFactory.Tests.EndToEnd;

/// <summary>
/// Attack: payload fields and agent output carry chat markup — Slack's &lt;!channel&gt; (pings everyone)
/// and &lt;https://evil|Approve deployment&gt; (a link disguised by its label), Telegram HTML — hoping the
/// job's notice posts it as written. Each channel must show the attacker's text literally.
/// </summary>
public sealed class ChatInjectionTests : IAsyncLifetime
{
    private const string Channel = "<!channel>";
    private const string Here = "<!here>";
    private const string Phish = "<https://evil.example/approve|Approve deployment>";
    private const string Html = "<a href=\"https://evil.example\">Approve</a> <b>now</b>";

    private readonly TempDir _dir = new();
    private ChatChannels _chat = null!;

    public async Task InitializeAsync() => _chat = await ChatChannels.StartAsync();

    public async Task DisposeAsync()
    {
        await _chat.DisposeAsync();
        _dir.Dispose();
    }

    private static void AssertLiteralInSlack(string posted, params string[] attacker)
    {
        var (text, mentions, links) = FakeSlack.Render(posted);
        Assert.Empty(mentions);
        Assert.DoesNotContain(links, l => l.Url.Contains("evil", StringComparison.Ordinal) && l.Label != l.Url);
        foreach (var a in attacker) Assert.Contains(a, text, StringComparison.Ordinal);
    }

    private static void AssertLiteralInTelegram(string posted, params string[] attacker)
    {
        var (text, links) = FakeTelegram.RenderHtml(posted);
        Assert.Empty(links);
        foreach (var a in attacker) Assert.Contains(a, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Markup_in_a_jobs_payload_and_output_is_shown_literally_in_slack_and_telegram()
    {
        var script = Scripts.Write(_dir, "hostile.sh", $"echo '{Here} {Phish}'; echo '{Html}'; exit 2");
        var routing = $$"""
            { "routes": [],
              "jobs": { "hostile": { "agent": "hostile", "manual": true, "maxAttempts": 1, "notify": ["telegram", "slack"] } },
              "agents": { "hostile": { "kind": "command", "command": ["{{script}}"] } } }
            """;
        await using var service = await TestService.StartAsync(routingJson: routing, services: s => s.AddSingleton(_chat.Settings("-1001")));
        var payload = new JsonObject
        {
            ["job_type"] = "hostile",
            ["payload"] = new JsonObject
            {
                ["repository"] = new JsonObject { ["full_name"] = Channel + " " + Html },
                ["release"] = new JsonObject { ["tag_name"] = Phish },
            },
        };
        var response = await service.Http.SendAsync(service.Manual(payload.ToJsonString()));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["job_id"]!.GetValue<long>();
        Assert.Equal(JobStatus.Failed, (await service.WaitForJobAsync(id, JobStatus.Failed, JobStatus.Completed)).Status);

        await _chat.Slack.WaitForAsync(r => r.Path == FakeSlack.HookPath);
        var telegram = JsonNode.Parse((await _chat.Telegram.WaitForAsync(r => r.Path.EndsWith("/sendMessage", StringComparison.Ordinal))).Body)!;
        Assert.Equal("HTML", telegram["parse_mode"]!.GetValue<string>(), ignoreCase: true);
        AssertLiteralInSlack(Assert.Single(_chat.Slack.Texts), Channel, Html, Phish, Here);
        AssertLiteralInTelegram(telegram["text"]!.GetValue<string>(), Channel, Html, Phish, Here);
    }

    [Theory]
    [InlineData("https://evil.example/approve|Approve deployment")]
    [InlineData("https://evil.example/approve|Approve")]
    [InlineData("<!channel>")]
    [InlineData("javascript:alert(1)")]
    public async Task A_hostile_link_is_never_a_disguised_link_or_a_mention(string link)
    {
        var notifications = new Notifications(
            [new TelegramNotifier(_chat.Settings("-1001"), new HttpClient()), new SlackNotifier(_chat.Settings("-1001"), new HttpClient())],
            new NotifySettings(), NullLogger<Notifications>.Instance);
        var failures = await notifications.SendAsync(["*"], new Notice(false, "Deployment of v1 failed", "see below", Link: link), default);
        Assert.Empty(failures);

        var (slackText, mentions, slackLinks) = FakeSlack.Render(Assert.Single(_chat.Slack.Texts));
        Assert.Empty(mentions);
        Assert.All(slackLinks, l => Assert.Equal(l.Url, l.Label)); // a link shows where it points
        if (slackLinks.Count > 0) Assert.Equal(link.Replace("|", "%7C", StringComparison.Ordinal), Assert.Single(slackLinks).Url);
        else Assert.Contains(link, slackText, StringComparison.Ordinal);
        var (telegramText, telegramLinks) = FakeTelegram.RenderHtml(Assert.Single(_chat.Telegram.Messages)["text"]!.GetValue<string>());
        Assert.Empty(telegramLinks);
        Assert.Contains(link, telegramText, StringComparison.Ordinal);
    }
}
