using System.Text.Json.Nodes;
using AgentFactory.Ingest;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Ingest;

/// <summary>The two 503 answers: each says when to try again and what to do about the delivery.</summary>
public sealed class ProblemsTests
{
    private static async Task<(DefaultHttpContext Http, JsonObject Body)> AnswerAsync(Func<HttpContext, IResult> problem)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Response.Body = new MemoryStream();
        await problem(http).ExecuteAsync(http);
        http.Response.Body.Position = 0;
        return (http, JsonNode.Parse(http.Response.Body)!.AsObject());
    }

    [Fact]
    public async Task An_unavailable_store_asks_for_a_redelivery_after_ten_seconds()
    {
        var (http, body) = await AnswerAsync(Problems.StoreUnavailable);
        Assert.Equal(503, http.Response.StatusCode);
        Assert.Equal("10", http.Response.Headers.RetryAfter.ToString());
        Assert.Equal("store_unavailable", (string?)body["error"]);
        Assert.Equal("The queue database is unavailable, so nothing was stored. GitHub marks this delivery failed: redeliver it from the webhook's Recent Deliveries once GET /health is healthy.", (string?)body["message"]);
    }

    [Fact]
    public async Task A_spent_body_budget_asks_to_send_again_in_five_seconds()
    {
        var (http, body) = await AnswerAsync(Problems.Busy);
        Assert.Equal(503, http.Response.StatusCode);
        Assert.Equal("5", http.Response.Headers.RetryAfter.ToString());
        Assert.Equal("busy", (string?)body["error"]);
        Assert.StartsWith("The service is already holding as many request bodies as it buffers at once (WEBHOOK_BODY_BUDGET_MB)", (string?)body["message"], StringComparison.Ordinal);
    }
}
