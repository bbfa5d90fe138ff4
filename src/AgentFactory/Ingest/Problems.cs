using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentFactory.Ingest;

/// <summary>Every error the endpoints answer with: a status, a stable code and a message that says what to do.</summary>
public sealed record Problem(string Error, string Message);

public static class Problems
{
    public static JsonHttpResult<Problem> Of(int status, string error, string message) =>
        TypedResults.Json(new Problem(error, message), statusCode: status);

    public static JsonHttpResult<Problem> StoreUnavailable(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "10";
        return Of(StatusCodes.Status503ServiceUnavailable, "store_unavailable",
            "The queue database is unavailable, so nothing was stored. GitHub marks this delivery failed: redeliver it from the webhook's Recent Deliveries once GET /health is healthy.");
    }

    /// <summary>The request bodies in flight hold the whole WEBHOOK_BODY_BUDGET_MB: nothing was read or stored.</summary>
    public static JsonHttpResult<Problem> Busy(HttpContext http)
    {
        http.Response.Headers.RetryAfter = "5";
        return Of(StatusCodes.Status503ServiceUnavailable, "busy",
            "The service is already holding as many request bodies as it buffers at once (WEBHOOK_BODY_BUDGET_MB), so nothing was stored. Send it again in a few seconds; GitHub marks this delivery failed, so redeliver it from the webhook's Recent Deliveries.");
    }
}
