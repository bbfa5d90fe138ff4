using AgentFactory.Options;
using AgentFactory.Queue;

namespace AgentFactory.Ingest;

/// <summary>
/// GET /health: database reachability, queue depth by status and how old the newest orchestrator
/// heartbeat is (judged by <see cref="AgentFactoryOptions.IsAlive"/>, the one liveness rule). 200 when the database answers, 503 when it does not. It answers anyone (load
/// balancers, uptime checks), so it says what state things are in but nothing that names the
/// deployment: no instance name (host:pid), no database error text (hosts, paths). Those go to the log,
/// and to the admin surface and `agentfactory doctor` (docs/operations.md, "What anonymous callers see").
/// </summary>
public static partial class HealthEndpoint
{
    public static IEndpointRouteBuilder MapHealthEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", CheckAsync);
        return app;
    }

    internal static async Task<IResult> CheckAsync(HttpContext http, IOperatorViews store, StoreInfo database, AgentFactoryOptions options, TimeProvider time, ILoggerFactory logs)
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
                last_heartbeat = heartbeat is null ? null : new { at = heartbeat.At, age_seconds = age },
            });
        }
        catch (Exception e) when (e is StoreUnavailableException or OperationCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            LogUnhealthy(logs.CreateLogger("AgentFactory.Ingest"), e.Message);
            return TypedResults.Json(new
            {
                status = "unhealthy",
                database = new { status = "unhealthy", provider },
                message = "The queue database cannot be reached: webhooks are answered 503 until it is back. The service log says why.",
            }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "GET /health answered 503: {Reason}")]
    private static partial void LogUnhealthy(ILogger logger, string reason);
}
