using System.Text;
using System.Text.Json;
using AgentFactory.Events;
using AgentFactory.GitHub;
using AgentFactory.Jobs;
using AgentFactory.Observability;
using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Routing;
using AgentFactory.Trust;
using Microsoft.AspNetCore.WebUtilities;

namespace AgentFactory.Ingest;

/// <summary>
/// POST /webhook/github: verify the signature over the raw body as it arrives (within the memory
/// budget of all bodies in flight), parse, route, then store the delivery and its jobs in one
/// transaction and only then answer 2xx. Work happens in the orchestrator, never inside the request.
/// </summary>
public static partial class WebhookEndpoints
{
    public static IEndpointRouteBuilder MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhook/github", ReceiveGitHubAsync);
        app.MapPost("/webhook/manual", ManualTrigger.HandleAsync);
        return app;
    }

    internal static async Task<IResult> ReceiveGitHubAsync(
        HttpContext http, DeliveryBatcher batcher, Router router, AgentFactoryOptions options, AgentFactoryMetrics metrics,
        FailedRequestLimiter limiter, BodyBudget budget, GitHubSettings github, ILoggerFactory logs)
    {
        var log = logs.CreateLogger("AgentFactory.Ingest");
        // Unsigned requests are counted under "unknown": their event names are not trusted (label cardinality).
        IResult Rejected(string outcome, IResult result)
        {
            metrics.Delivery("unknown", outcome);
            return result;
        }
        var client = http.Connection.RemoteIpAddress;
        // Only for log lines of refusals, so an accepted delivery does not format the address.
        // Stryker disable once String,NullCoalescing : Kestrel on TCP always knows the peer's address; only a unix socket has none.
        string Remote() => client?.ToString() ?? "?";
        IResult Throttled()
        {
            http.Response.Headers.RetryAfter = ((int)FailedRequestLimiter.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Rejected("rate_limited", Problems.Of(StatusCodes.Status429TooManyRequests, "too_many_failures",
                "Too many unsigned or mis-signed requests from this address; try again in a minute. Check that the webhook secret matches."));
        }
        IResult BadSignature(SignatureResult signature)
        {
            LogRejected(log, signature.ToString(), Remote());
            limiter.RecordFailure(client);
            return Rejected("bad_signature", Problems.Of(StatusCodes.Status401Unauthorized, "invalid_signature", signature switch
            {
                SignatureResult.Missing => "The X-Hub-Signature-256 header is missing. Set a secret on the GitHub webhook equal to GITHUB_WEBHOOK_SECRET.",
                SignatureResult.Malformed => "The X-Hub-Signature-256 header is not of the form sha256=<64 hex digits>.",
                _ => "The X-Hub-Signature-256 signature does not match. The webhook's secret on GitHub must equal GITHUB_WEBHOOK_SECRET (or the generated data/webhook-secret).",
            }));
        }

        // What the headers alone decide is decided before any of the body is read. A throttled client's
        // well-formed signatures are still checked, so a correctly signed delivery always gets through,
        // but its bodies share a quarter of the budget, so it cannot starve other senders.
        var blocked = limiter.IsBlocked(client);
        var (check, format) = WebhookSignatureCheck.Start(http.Request.Headers["X-Hub-Signature-256"], options.WebhookSecretBytes());
        if (check is null) return blocked ? Throttled() : BadSignature(format);
        using var _ = check;
        using var body = await RequestBody.ReadAsync(http, AgentFactoryOptions.MaxWebhookBodyBytes, budget, suspect: blocked, check);
        if (body.Status == BodyStatus.TooLarge)
            return Rejected("too_large", Problems.Of(StatusCodes.Status413PayloadTooLarge, "payload_too_large",
                $"The body is larger than GitHub's {AgentFactoryOptions.MaxWebhookBodyBytes / (1024 * 1024)} MB webhook limit."));
        if (body.Status == BodyStatus.OverBudget)
        {
            if (budget.ShouldReportSpent()) LogBusy(log, Remote());
            return Rejected("busy", Problems.Busy(http));
        }
        var signature = check.Finish();
        if (signature != SignatureResult.Valid) return blocked ? Throttled() : BadSignature(signature);

        var (delivery, headerProblem) = GitHubDelivery.From(http.Request.Headers);
        if (delivery is null) return Rejected("bad_request", Problems.Of(StatusCodes.Status400BadRequest, "bad_headers", headerProblem!));

        var (json, payloadProblem, payloadStatus) = PayloadJson(http.Request.ContentType, body.Bytes);
        if (json is null) return Rejected("bad_request", Problems.Of(payloadStatus, payloadStatus == 415 ? "unsupported_content_type" : "malformed_payload", payloadProblem!));

        IReadOnlyList<RoutedJob> routed;
        List<NewJob> jobs;
        string? action, repository, refusal;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return Rejected("bad_request", Problems.Of(StatusCodes.Status400BadRequest, "malformed_payload", "The payload must be a JSON object."));
            routed = delivery.Event == "ping" ? [] : router.Route(delivery.Event, doc.RootElement);
            // Who may start agent work: what the event alone decides (bots, the service itself, forks) is decided here.
            (routed, refusal) = IngestTrust.Filter(routed, delivery.Event, doc.RootElement, router.Config, github.ServiceLogins);
            action = Router.Str(doc.RootElement, "action");
            repository = Router.Str(doc.RootElement, "repository", "full_name");
            // A comment's command and its argument go into the job's payload as data (agentfactory.command, .argument).
            // The payload is parsed once: a concurrency key is read from this document unless a command was added to it.
            var root = doc.RootElement;
            jobs = [.. routed.Select(r => r.Command is { } c
                ? router.Config.SettingsFor(r.JobType).NewJob(r.JobType, c.AddTo(json), r.Priority)
                : router.Config.SettingsFor(r.JobType).NewJob(r.JobType, json, r.Priority, root))];
        }
        catch (JsonException e)
        {
            return Rejected("bad_request", Problems.Of(StatusCodes.Status400BadRequest, "malformed_payload", $"The payload is not valid JSON: {e.Message}"));
        }
        catch (InvalidOperationException)
        {
            // A field routing reads holds an escape that is not text (half a surrogate pair).
            // Stryker disable once String,NullCoalescing : only text with half a surrogate pair makes routing throw here, and StorableJson always names it.
            var problem = StorableJson.Problem(json) ?? "The payload holds a value that is not valid Unicode text.";
            return Rejected("bad_request", Problems.Of(StatusCodes.Status400BadRequest, "unstorable_payload", problem));
        }

        DeliveryResult result;
        try
        {
            result = await batcher.RecordAsync(
                new NewWebhookEvent(delivery.DeliveryId, delivery.HookId, delivery.Event, action, repository, json, check.BodySha256, refusal), jobs, http.RequestAborted);
        }
        catch (StoreUnavailableException e)
        {
            LogStoreDown(log, delivery.DeliveryId, e.Message);
            metrics.Delivery(delivery.Event, "store_unavailable");
            return Problems.StoreUnavailable(http);
        }
        if (result.Refused is { } reason)
        {
            LogRefused(log, delivery.Event, delivery.DeliveryId, reason);
            return Rejected("bad_request", Problems.Of(StatusCodes.Status400BadRequest, "unstorable_payload", reason));
        }

        LogReceived(log, delivery.Event, action ?? "-", delivery.DeliveryId, result.Duplicate, result.JobIds.Count);
        metrics.Delivery(delivery.Event, result.Duplicate ? "duplicate" : result.JobIds.Count > 0 ? "queued" : "recorded");
        if (result.Duplicate)
            return TypedResults.Ok(new { status = "duplicate", delivery = delivery.DeliveryId, event_id = result.EventId, message = "Already received; nothing new was queued." });
        if (delivery.Event == "ping")
            return TypedResults.Ok(new { status = "pong", delivery = delivery.DeliveryId, event_id = result.EventId });
        return TypedResults.Accepted((string?)null, new
        {
            status = result.JobIds.Count > 0 ? "queued" : "recorded",
            delivery = delivery.DeliveryId,
            event_id = result.EventId,
            jobs = result.JobIds.Zip(routed, (id, r) => new { id, job_type = r.JobType }),
            refused = refusal?.Split('\n'),
        });
    }

    /// <summary>The JSON text of the payload for both content types GitHub offers.</summary>
    private static (string? Json, string? Problem, int Status) PayloadJson(string? contentType, byte[] body)
    {
        var mediaType = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        switch (mediaType)
        {
            case "application/json":
                try
                {
                    return (StrictUtf8.GetString(body), null, 0);
                }
                catch (DecoderFallbackException)
                {
                    return (null, "The body is not valid UTF-8.", 400);
                }
            case "application/x-www-form-urlencoded":
                var form = QueryHelpers.ParseNullableQuery(Encoding.ASCII.GetString(body));
                if (form is null || !form.TryGetValue("payload", out var payload) || payload.Count != 1 || string.IsNullOrEmpty(payload[0]))
                    return (null, "A form-encoded delivery must carry the JSON in one 'payload' field.", 400);
                return (payload[0], null, 0);
            default:
                return (null, $"Content type '{contentType}' is not supported: use application/json (recommended) or application/x-www-form-urlencoded in the GitHub webhook settings.", 415);
        }
    }

    /// <summary>UTF-8 that throws on bytes that are not UTF-8, instead of replacing them with U+FFFD.</summary>
    private static readonly Encoding StrictUtf8 = Encoding.GetEncoding("utf-8", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected webhook delivery from {Remote}: signature {Result}")]
    private static partial void LogRejected(ILogger logger, string result, string remote);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not store delivery {Delivery}: {Reason}; answered 503")]
    private static partial void LogStoreDown(ILogger logger, string delivery, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered 503 to a webhook request from {Remote}: the request bodies in flight hold WEBHOOK_BODY_BUDGET_MB")]
    private static partial void LogBusy(ILogger logger, string remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused delivery {Event} {Delivery}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string @event, string delivery, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Delivery {Event}/{Action} {Delivery}: duplicate={Duplicate}, jobs={Jobs}")]
    private static partial void LogReceived(ILogger logger, string @event, string action, string delivery, bool duplicate, int jobs);
}
