using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentFactory.Events;
using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Routing;

namespace AgentFactory.Ingest;

/// <summary>
/// POST /webhook/manual — the guide's manual trigger, behind a bearer token (it would otherwise be
/// an open door once ngrok or nginx forwards to localhost). Body optional:
/// {"job_type": "custom_task", "payload": {...}, "priority": 0}; no body queues a "manual" job. Only
/// job types the routing file opens to it ("manual": true) may be queued: the token is not GitHub, so
/// it must not reach agents that take their payload for a GitHub event.
/// </summary>
public static partial class ManualTrigger
{
    public const string DefaultJobType = "manual";

    public const long MaxBodyBytes = 1024 * 1024;

    private const string Example = "{\"job_type\": \"custom_task\", \"payload\": {...}, \"priority\": 0}";

    internal static async Task<IResult> HandleAsync(
        HttpContext http, DeliveryBatcher batcher, RoutingConfig routing, AgentFactoryOptions options, BodyBudget budget,
        [FromKeyedServices(FailedRequestLimiter.Manual)] FailedRequestLimiter limiter, ILoggerFactory logs)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!Authorized(header, options.ManualTriggerToken))
            return Refused(http, limiter, logs.CreateLogger("AgentFactory.Ingest"), header.Length == 0 ? "no token" : "a wrong token");

        using var body = await RequestBody.ReadAsync(http, MaxBodyBytes, budget, suspect: false);
        if (body.Status == BodyStatus.TooLarge)
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "A manual trigger body may be at most 1 MB.");
        if (body.Status == BodyStatus.OverBudget) return Problems.Busy(http);

        var request = new ManualRequest(null, null, null);
        if (body.Length > 0)
        {
            var mediaType = http.Request.ContentType?.Split(';')[0].Trim();
            if (!string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
                return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "unsupported_content_type", "Send the body as JSON with 'Content-Type: application/json'.");
            if (Parse(body.Bytes, out var problem) is not { } parsed) return Problems.Of(StatusCodes.Status400BadRequest, "malformed_body", problem!);
            request = parsed;
        }

        var jobType = string.IsNullOrWhiteSpace(request.JobType) ? DefaultJobType : request.JobType.Trim();
        if (ValidateJobType(jobType) is { } typeProblem)
            return Problems.Of(StatusCodes.Status400BadRequest, "bad_job_type", typeProblem);
        if (!routing.ManualJobTypes.Contains(jobType, StringComparer.Ordinal))
            return Problems.Of(StatusCodes.Status400BadRequest, "job_type_not_allowed", NotAllowed(jobType, routing.ManualJobTypes));
        var priority = request.Priority ?? 0;
        if (ValidatePriority(priority) is { } priorityProblem)
            return Problems.Of(StatusCodes.Status400BadRequest, "bad_priority", priorityProblem);
        var payload = request.Payload ?? "{}";

        var settings = routing.SettingsFor(jobType);
        var job = settings.NewJob(jobType, payload, priority);
        var delivery = new NewWebhookEvent(Guid.NewGuid().ToString(), InternalEvents.Manual, InternalEvents.Manual, null, null, payload);
        try
        {
            var result = await batcher.RecordAsync(delivery, [job], http.RequestAborted);
            if (result.Refused is { } reason) return Problems.Of(StatusCodes.Status400BadRequest, "unstorable_payload", reason);
            return TypedResults.Accepted($"/api/jobs/{result.JobIds[0]}", new
            {
                status = "queued",
                job_id = result.JobIds[0],
                job_type = jobType,
                priority = job.Priority,
                agent = settings.Agent,
            });
        }
        catch (StoreUnavailableException)
        {
            return Problems.StoreUnavailable(http);
        }
    }

    /// <summary>
    /// A missing or wrong token: 401, or 429 once this address has spent its failures for the minute.
    /// The right token is never refused, whatever the address did. An anonymous caller learns the
    /// scheme and where the operator finds the token, never the token file's path.
    /// </summary>
    private static IResult Refused(HttpContext http, FailedRequestLimiter limiter, ILogger log, string what)
    {
        var client = http.Connection.RemoteIpAddress;
        if (limiter.IsBlocked(client))
        {
            LogThrottled(log, Address(client));
            var seconds = (int)FailedRequestLimiter.RetryAfter.TotalSeconds;
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Problems.Of(StatusCodes.Status429TooManyRequests, "too_many_failures",
                $"Too many requests with a missing or wrong manual trigger token from this address: such requests are refused for the next {seconds} seconds. Requests with the right token are still accepted.");
        }
        limiter.RecordFailure(client);
        LogRefused(log, what, Address(client));
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Of(StatusCodes.Status401Unauthorized, "unauthorized",
            "Send the manual trigger token as 'Authorization: Bearer <token>'. The operator sets it with MANUAL_TRIGGER_TOKEN or finds the generated one in the service's data directory (see docs/operations.md).");
    }

    // Stryker disable once String,NullCoalescing : Kestrel on TCP always knows the peer's address; only a unix socket has none.
    private static string Address(IPAddress? client) => client?.ToString() ?? "an unknown address";

    private static string NotAllowed(string jobType, IReadOnlyList<string> allowed) =>
        $"job_type '{jobType}' may not be queued by the manual trigger. " +
        (allowed.Count == 0 ? "No job type may be: " : $"It may queue {string.Join(", ", allowed)}. To allow another, ") +
        $"set \"manual\": true on the job type under \"jobs\" in the routing file (docs/routing.md).";

    private sealed record ManualRequest(string? JobType, string? Payload, int? Priority);

    /// <summary>The body's three fields, or why not, in the caller's terms (no .NET type names).</summary>
    private static ManualRequest? Parse(byte[] body, out string? problem)
    {
        problem = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                problem = $"The body must be a JSON object like {Example}.";
                return null;
            }
            string? jobType = null, payload = null;
            int? priority = null;
            foreach (var field in doc.RootElement.EnumerateObject())
            {
                switch (field.Name)
                {
                    case "job_type" when field.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                        jobType = field.Value.GetString(); // null for a JSON null
                        break;
                    case "job_type":
                        problem = "job_type must be a string, such as \"custom_task\".";
                        return null;
                    case "payload":
                        payload = field.Value.ValueKind == JsonValueKind.Null ? null : field.Value.GetRawText();
                        break;
                    case "priority" when field.Value.ValueKind == JsonValueKind.Null:
                        break;
                    case "priority" when field.Value.ValueKind == JsonValueKind.Number && field.Value.TryGetInt32(out var p):
                        priority = p;
                        break;
                    case "priority":
                        problem = ValidatePriority(int.MaxValue);
                        return null;
                    default:
                        problem = $"The body has the field '{field.Name}', which the manual trigger does not know. The accepted fields are job_type, payload and priority, as in {Example}.";
                        return null;
                }
            }
            return new ManualRequest(jobType, payload, priority);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            problem = $"The body must be JSON like {Example}: {e.Message}";
            return null;
        }
    }

    /// <summary>Null when the job type is acceptable, else the reason (shared by the endpoint and `agentfactory trigger`).</summary>
    public static string? ValidateJobType(string jobType) => JobTypeName().IsMatch(jobType)
        ? null : "job_type must be 1–100 characters of letters, digits, '_', '-', '.' or ':'.";

    public static string? ValidatePriority(int priority) => priority is >= -1000 and <= 1000
        ? null : "priority must be a whole number from -1000 to 1000 (higher runs first).";

    /// <summary>Constant-time comparison of "Bearer &lt;token&gt;" with the configured token.</summary>
    public static bool Authorized(string header, string token)
    {
        const string scheme = "Bearer ";
        if (token.Length == 0 || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        var expected = Encoding.UTF8.GetBytes(token);
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(given), SHA256.HashData(expected));
    }

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,100}$")]
    private static partial Regex JobTypeName();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a manual trigger from {Remote}: {What}")]
    private static partial void LogRefused(ILogger logger, string what, string remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused a manual trigger from {Remote}: throttled after repeated wrong tokens")]
    private static partial void LogThrottled(ILogger logger, string remote);
}
