using System.Net;
using System.Text;
using AgentFactory.Ingest;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Ingest;

/// <summary>Hostile traffic: mis-signed floods are throttled per client, and no malformed request yields a job, a 5xx or a crash.</summary>
public sealed class AbuseTests
{
    private static HttpRequestMessage MisSigned(string forwardedFor)
    {
        var request = Fixtures.Delivery("push", Fixtures.Read("push", "push"), "an-attackers-guess-0123456789");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return request;
    }

    private static HttpRequestMessage Signed(string forwardedFor)
    {
        // A body of its own: the same body again would be a replay.
        var request = Fixtures.Delivery("push", Fixtures.Modified("push", "push", n => n["test_delivery"] = Guid.NewGuid().ToString()), TestService.Secret);
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return request;
    }

    [Fact]
    public async Task Client_that_keeps_sending_bad_signatures_is_throttled_while_others_get_through()
    {
        await using var service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook, configure: o => o.WebhookFailureLimitPerMinute = 5);
        // nginx on this host forwards both clients; the service tells them apart by X-Forwarded-For.
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await service.Http.SendAsync(MisSigned("203.0.113.7"))).StatusCode);
        var throttled = await service.Http.SendAsync(MisSigned("203.0.113.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.NotNull(throttled.Headers.RetryAfter);

        Assert.Equal(HttpStatusCode.Accepted, (await service.Http.SendAsync(Signed("140.82.115.1"))).StatusCode);
        // Throttling is for bad requests only: a correctly signed delivery from the throttled address still counts.
        Assert.Equal(HttpStatusCode.Accepted, (await service.Http.SendAsync(Signed("203.0.113.7"))).StatusCode);
        var unsigned = MisSigned("203.0.113.7");
        unsigned.Headers.Remove("X-Hub-Signature-256");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await service.Http.SendAsync(unsigned)).StatusCode);
        Assert.Equal(2, (await service.AllJobsAsync()).Count);
    }

    [Fact]
    public async Task Thousands_of_malformed_mis_signed_and_odd_requests_make_no_job_and_no_5xx()
    {
        await using var service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook, configure: o => o.WebhookFailureLimitPerMinute = 0);
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 3000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var request = Fuzz.Request(new Random(i));
            using var response = await service.Http.SendAsync(request, ct);
            statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
        });

        Assert.DoesNotContain(statuses.Keys, s => s >= 500);
        Assert.Empty(await service.AllJobsAsync());
        Assert.True(statuses.GetValueOrDefault(401) > 500, string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
        Assert.True(statuses.GetValueOrDefault(400) > 200, string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));

        // Still serving: a real delivery goes through and health is fine.
        Assert.Equal(HttpStatusCode.Accepted, (await service.Http.SendAsync(Fixtures.Delivery("push", Fixtures.Read("push", "push"), TestService.Secret))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Http.GetAsync("/health")).StatusCode);
    }

    /// <summary>Seeded generators of hostile requests. Signed ones are signed correctly, so they reach the parser.</summary>
    private static class Fuzz
    {
        private static readonly string[] Events = ["push", "issues", "release", "pull_request", "ping", "PUSH", "", "push\u0000", "a b", "../x", new string('e', 200)];
        private static readonly string[] ContentTypes = ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "application/json; charset=utf-16", "multipart/form-data; boundary=x"];

        public static HttpRequestMessage Request(Random r)
        {
            var body = Body(r);
            var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = new ByteArrayContent(body) };
            var contentType = ContentTypes[r.Next(ContentTypes.Length)];
            if (contentType.Length > 0) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            if (r.Next(10) > 0) request.Headers.TryAddWithoutValidation("X-GitHub-Event", Events[r.Next(Events.Length)]);
            if (r.Next(10) > 0) request.Headers.TryAddWithoutValidation("X-GitHub-Delivery", r.Next(5) == 0 ? RandomText(r, r.Next(0, 300)) : Guid.NewGuid().ToString());
            if (r.Next(3) > 0) request.Headers.TryAddWithoutValidation("X-GitHub-Hook-ID", r.Next(4) == 0 ? RandomText(r, 20) : r.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
            switch (r.Next(5))
            {
                case 0: break; // unsigned
                case 1: request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", "sha256=" + RandomText(r, r.Next(0, 80))); break;
                case 2: request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", WebhookSignature.Sign("wrong-secret-0123456789", body)); break;
                default: request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", WebhookSignature.Sign(TestService.Secret, body)); break;
            }
            return request;
        }

        private static byte[] Body(Random r) => r.Next(9) switch
        {
            0 => RandomBytes(r, r.Next(0, 4096)),
            1 => Encoding.UTF8.GetBytes(Truncate(r, Fixtures.Read("push", "push"))),
            2 => Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)),
            3 => Encoding.UTF8.GetBytes("payload=" + Uri.EscapeDataString(Truncate(r, Fixtures.Read("issues", "labeled")))),
            4 => Encoding.UTF8.GetBytes("{\"ref\":{\"x\":1},\"repository\":5,\"action\":[],\"label\":\"agent-task\",\"deleted\":\"yes\"}"),
            5 => Encoding.UTF8.GetBytes("[" + string.Join(',', Enumerable.Repeat("{}", 1000)) + "]"),
            6 => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("{\"a\":\"\\ud800\"}")],
            7 => Encoding.UTF8.GetBytes("{\"a\":" + new string('9', 5000) + "}"),
            _ => Encoding.UTF8.GetBytes("\"just a string\""),
        };

        private static string Truncate(Random r, string s) => s[..r.Next(0, s.Length - 1)];

        private static byte[] RandomBytes(Random r, int n)
        {
            var bytes = new byte[n];
            r.NextBytes(bytes);
            return bytes;
        }

        private static string RandomText(Random r, int n) => new([.. Enumerable.Range(0, n).Select(_ => (char)r.Next(33, 127))]);
    }
}
