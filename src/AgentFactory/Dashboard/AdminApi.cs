using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentFactory.Events;
using AgentFactory.Ingest;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using Microsoft.AspNetCore.Antiforgery;

namespace AgentFactory.Dashboard;

/// <summary>
/// The admin JSON API under /api: stats, jobs (list, detail, steps, retry, cancel, requeue), deliveries, a live
/// stream and the browser session's anti-forgery token. Every route needs the admin token or session.
/// </summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(AdminAuth.Policy).AddEndpointFilter(StoreDown);
        api.MapGet("/stats", async (QueueStats stats, CancellationToken ct) => Json(await stats.GetAsync(ct)));
        api.MapGet("/jobs", ListJobsAsync);
        api.MapGet("/jobs/{id:long}", async (long id, IOperatorViews store, IStepStore steps, TimeProvider time, CancellationToken ct) =>
            await store.GetJobAsync(id, ct) is { } job ? Json(ApiJson.Detail(job, time.GetUtcNow(), await steps.GetJobUsageAsync(id, ct))) : NoJob(id));
        api.MapGet("/jobs/{id:long}/steps", JobStepsEndpoint.GetAsync);
        api.MapGet("/events", ListEventsAsync);
        api.MapGet("/stream", Stream);
        api.MapGet("/session", (HttpContext http, IAntiforgery antiforgery) => Json(new SessionView(
            AdminAuth.ByBearer(http.User) ? "bearer" : "session", antiforgery.GetAndStoreTokens(http).RequestToken, AdminAuth.CsrfHeader)));

        var actions = api.MapGroup("/jobs/{id:long}").AddEndpointFilter(CsrfFilter.ValidateAsync);
        actions.MapPost("/retry", async (long id, IOperatorViews store, IStepStore steps, TimeProvider time, CancellationToken ct) =>
            await ActedAsync(id, await JobActions.RetryAsync(store, id, ct), JobActions.RetryFrom, "retry", steps, time, ct));
        actions.MapPost("/cancel", async (long id, IOperatorViews store, IStepStore steps, TimeProvider time, CancellationToken ct) =>
            await ActedAsync(id, await JobActions.CancelAsync(store, id, ct), JobActions.CancelFrom, "cancel", steps, time, ct));
        actions.MapPost("/requeue", async (long id, IOperatorViews store, IDeliveryStore queue, CancellationToken ct) =>
        {
            var (outcome, job, newId) = await JobActions.RequeueAsync(store, queue, id, ct);
            return outcome switch
            {
                JobActions.Outcome.Done => TypedResults.Json(new RequeuedView(newId, id), ApiJson.Options, statusCode: StatusCodes.Status201Created),
                JobActions.Outcome.NotFound => NoJob(id),
                _ => WrongState(id, job!, JobActions.RequeueFrom, "requeue"),
            };
        });
        return api;
    }

    private static async Task<IResult> ListJobsAsync(
        IOperatorViews store, string? status, string? job_type, string? search, long? before_id, int? limit, CancellationToken ct)
    {
        JobStatus? s = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!JobStatusNames.TryParse(status, out var parsed))
                return Problems.Of(StatusCodes.Status400BadRequest, "bad_status", "status must be one of pending, running, completed, failed, cancelled.");
            s = parsed;
        }
        var take = Math.Clamp(limit ?? 50, 1, 200);
        var rows = await store.ListJobsAsync(new JobQuery(s, Blank(job_type), take, before_id, Blank(search)), ct);
        return Json(new Page<JobSummary>([.. rows.Select(ApiJson.Summary)], rows.Count == take ? rows[^1].Id : null));
    }

    private static async Task<IResult> ListEventsAsync(IOperatorViews store, string? @event, long? before_id, int? limit, CancellationToken ct)
    {
        var take = Math.Clamp(limit ?? 50, 1, 200);
        var type = Blank(@event);
        var rows = await store.ListEventsAsync(new EventQuery(type, take, before_id, IncludeHeartbeats: type == "heartbeat"), ct);
        var jobs = await store.ListJobIdsByEventAsync([.. rows.Select(e => e.Id)], ct);
        return Json(new Page<EventView>([.. rows.Select(e => ApiJson.Event(e, jobs.GetValueOrDefault(e.Id) ?? []))], rows.Count == take ? rows[^1].Id : null));
    }

    /// <summary>Server-Sent Events: "changed" with a fresh stats snapshot whenever the queue moves, and every few seconds.</summary>
    private static IResult Stream(HttpContext http, DashboardFeed feed, IHostApplicationLifetime life) =>
        TypedResults.ServerSentEvents(StreamItems(feed, http.RequestAborted, life.ApplicationStopping));

    private static async IAsyncEnumerable<SseItem<string>> StreamItems(DashboardFeed feed, [EnumeratorCancellation] CancellationToken aborted, CancellationToken stopping)
    {
        // Ends with the request or with the host, so a watching page never holds up shutdown.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
        await foreach (var snapshot in feed.WatchAsync(cts.Token))
            yield return new SseItem<string>(JsonSerializer.Serialize(snapshot, ApiJson.Options), "changed") { ReconnectionInterval = TimeSpan.FromSeconds(3) };
    }

    private static async Task<IResult> ActedAsync(
        long id, (JobActions.Outcome Outcome, JobRecord? Job) result, string allowed, string action, IStepStore steps, TimeProvider time, CancellationToken ct) =>
        result.Outcome switch
        {
            JobActions.Outcome.Done => Json(ApiJson.Detail(result.Job!, time.GetUtcNow(), await steps.GetJobUsageAsync(id, ct))),
            JobActions.Outcome.NotFound => NoJob(id),
            _ => WrongState(id, result.Job!, allowed, action),
        };

    private static async ValueTask<object?> StoreDown(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        try
        {
            return await next(ctx);
        }
        catch (StoreUnavailableException)
        {
            ctx.HttpContext.Response.Headers.RetryAfter = "10";
            return Problems.Of(StatusCodes.Status503ServiceUnavailable, "store_unavailable",
                "The queue database is unavailable. Try again once GET /health reports it healthy.");
        }
    }

    internal static IResult Json<T>(T value) => TypedResults.Json(value, ApiJson.Options);

    internal static IResult NoJob(long id) => Problems.Of(StatusCodes.Status404NotFound, "not_found", $"There is no job {id}.");

    private static IResult WrongState(long id, JobRecord job, string allowed, string action) =>
        Problems.Of(StatusCodes.Status409Conflict, "wrong_state",
            $"Job {id} is {job.Status.ToDb()}; only {allowed} jobs can {action}." + (action == "requeue" && job.Status is JobStatus.Failed or JobStatus.Cancelled ? " Use retry for it." : ""));

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    public sealed record SessionView(string AuthenticatedBy, string? CsrfToken, string CsrfHeader);

    public sealed record RequeuedView(long JobId, long RequeuedFrom);
}

/// <summary>
/// A state change made with the session cookie must carry the anti-forgery token (header X-CSRF-Token,
/// from GET /api/session): another site can make the browser send the cookie, but cannot read the token.
/// Bearer-token calls are exempt; a browser never attaches that header on its own.
/// </summary>
public static class CsrfFilter
{
    public static async ValueTask<object?> ValidateAsync(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        var http = ctx.HttpContext;
        if (!AdminAuth.ByBearer(http.User))
        {
            try
            {
                await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http);
            }
            catch (AntiforgeryValidationException)
            {
                return Problems.Of(StatusCodes.Status400BadRequest, "csrf",
                    $"This change needs the page's anti-forgery token in the {AdminAuth.CsrfHeader} header (GET /api/session). Reload the dashboard and try again.");
            }
        }
        return await next(ctx);
    }
}
