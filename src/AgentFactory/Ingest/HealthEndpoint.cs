using AgentFactory.Options;
using AgentFactory.Queue;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentFactory.Ingest;

/// <summary>
/// GET /health: database reachability, queue depth by status and the newest orchestrator heartbeat
/// (judged by <see cref="AgentFactoryOptions.IsAlive"/>, the one liveness rule).
/// 200 when the database answers, 503 (with the reason) when it does not.
/// </summary>
public static class HealthEndpoint
{
    public static IEndpointRouteBuilder MapHealthEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", CheckAsync);
        return app;
    }

    internal static async Task<IResult> CheckAsync(HttpContext http, IOperatorViews store, StoreInfo database, AgentFactoryOptions options, TimeProvider time)
    {
        var provider = database.Provider;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var counts = await store.CountJobsByStatusAsync(timeout.Token);
            var heartbeat = await store.GetLastHeartbeatAsync(timeout.Token);
            var now = time.GetUtcNow();
            var age = heartbeat is null ? (double?)null : Math.Round((now - heartbeat.At).TotalSeconds, 1);
            // "stopped": no orchestrator has a row (none started, or each stopped cleanly); "stale": the
            // newest row is past the liveness threshold (its instance died without a clean stop).
            var orchestrator = heartbeat is null ? "stopped" : options.IsAlive(heartbeat.At, now) ? "ok" : "stale";
            return TypedResults.Ok(new
            {
                status = orchestrator == "ok" ? "healthy" : "degraded",
                database = new { status = "healthy", provider },
                queue = counts.ToDictionary(c => c.Key.ToString().ToLowerInvariant(), c => c.Value),
                orchestrator,
                last_heartbeat = heartbeat is null ? null : new { instance = heartbeat.Instance, at = heartbeat.At, age_seconds = age },
            });
        }
        catch (Exception e) when (e is StoreUnavailableException or OperationCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            return TypedResults.Json(new
            {
                status = "unhealthy",
                database = new { status = "unhealthy", provider, error = e.Message },
                message = "The queue database cannot be reached: webhooks are answered 503 until it is back.",
            }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
