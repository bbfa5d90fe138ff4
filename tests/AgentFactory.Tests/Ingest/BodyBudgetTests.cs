using System.Net;
using AgentFactory.Ingest;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Ingest;

/// <summary>
/// Unauthenticated memory amplification: a bogus X-Hub-Signature-256 used to make the service buffer
/// a whole 25 MB body before anything answered. What the headers decide is answered before reading,
/// bodies are hashed as they arrive, and the bytes held across all requests are capped.
/// </summary>
public sealed class BodyBudgetTests
{
    /// <summary>Content that records whether the client ever had to send it.</summary>
    private sealed class WatchedContent(long length) : HttpContent
    {
        public bool Sent { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            Sent = true;
            var chunk = new byte[64 * 1024];
            for (long left = length; left > 0; left -= chunk.Length) await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)));
        }

        protected override bool TryComputeLength(out long n)
        {
            n = length;
            return true;
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sha256=not-hex")]
    [InlineData("sha1=0000000000000000000000000000000000000000")]
    public async Task A_request_whose_signature_header_can_never_be_valid_is_refused_before_its_body_is_read(string? signature)
    {
        await using var service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook);
        var content = new WatchedContent(20 * 1024 * 1024);
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = content };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        if (signature is not null) request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature);
        request.Headers.ExpectContinue = true; // the body follows only once the server reads it
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) }) { BaseAddress = service.Http.BaseAddress };

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(content.Sent, "the server asked for the body of a request it could only refuse");
    }

    [Fact]
    public async Task Concurrent_large_bodies_with_a_bogus_signature_get_503_past_the_budget_and_give_it_all_back()
    {
        // The smallest budget allowed: one body of GitHub's maximum size.
        await using var service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook,
            configure: o => { o.WebhookBodyBudgetBytes = 26L * 1024 * 1024; o.WebhookFailureLimitPerMinute = 0; });
        var body = new byte[20 * 1024 * 1024];
        var bogus = WebhookSignature.Sign("an-attackers-guess-0123456789", body);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("X-GitHub-Event", "push");
            request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
            request.Headers.Add("X-Hub-Signature-256", bogus);
            try
            {
                using var response = await service.Http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable) Assert.NotNull(response.Headers.RetryAfter);
                return (int)response.StatusCode;
            }
            catch (HttpRequestException)
            {
                return 0; // answered 503 and closed while the client was still uploading
            }
        }));

        Assert.All(statuses, s => Assert.Contains(s, new[] { 0, 401, 503 }));
        Assert.Contains(statuses, s => s is 503 or 0);
        Assert.Equal(0, service.Host.Services.GetRequiredService<BodyBudget>().Used);
        // The budget is free again: a real delivery goes through.
        Assert.Equal(HttpStatusCode.Accepted, (await service.Http.SendAsync(Fixtures.Delivery("push", Fixtures.Read("push", "push"), TestService.Secret))).StatusCode);
    }
}
