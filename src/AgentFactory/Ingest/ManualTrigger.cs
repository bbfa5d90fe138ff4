using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Routing;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Ingest;

/// <summary>
/// POST /webhook/manual — the guide's manual trigger, behind a bearer token (it would otherwise be
/// an open door once ngrok or nginx forwards to localhost). Body optional:
/// {"job_type": "custom_task", "payload": {...}, "priority": 0}; no body queues a "manual" job.
/// </summary>
public static partial class ManualTrigger
{
    public const string DefaultJobType = "manual";

    internal static async Task<IResult> HandleAsync(HttpContext http, DeliveryBatcher batcher, RoutingConfig routing, AgentFactoryOptions options)
    {
        if (!Authorized(http.Request.Headers.Authorization.ToString(), options.ManualTriggerToken))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Of(StatusCodes.Status401Unauthorized, "unauthorized",
                $"Send the manual trigger token as 'Authorization: Bearer <token>'. It is set by MANUAL_TRIGGER_TOKEN or generated at {options.ManualTokenSource}.");
        }

        var body = await RequestBody.ReadAsync(http, 1024 * 1024);
        if (body is null) return Problems.Of(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "A manual trigger body may be at most 1 MB.");

        var request = new ManualRequest();
        if (body.Length > 0)
        {
            var mediaType = (http.Request.ContentType ?? "").Split(';')[0].Trim();
            if (!mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
                return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "unsupported_content_type", "Send the body as JSON with 'Content-Type: application/json'.");
            try
            {
                request = JsonSerializer.Deserialize<ManualRequest>(body) ?? request;
            }
            catch (JsonException e)
            {
                return Problems.Of(StatusCodes.Status400BadRequest, "malformed_body",
                    $"The body must be JSON like {{\"job_type\": \"custom_task\", \"payload\": {{...}}, \"priority\": 0}}: {e.Message}");
            }
        }

        var jobType = string.IsNullOrWhiteSpace(request.job_type) ? DefaultJobType : request.job_type.Trim();
        if (ValidateJobType(jobType) is { } typeProblem)
            return Problems.Of(StatusCodes.Status400BadRequest, "bad_job_type", typeProblem);
        if (ValidatePriority(request.priority ?? 0) is { } priorityProblem)
            return Problems.Of(StatusCodes.Status400BadRequest, "bad_priority", priorityProblem);
        var payload = request.payload is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } p ? p.GetRawText() : "{}";

        var settings = routing.SettingsFor(jobType);
        var job = new NewJob(jobType, payload, request.priority ?? 0, settings.MaxAttempts);
        var delivery = new NewWebhookEvent(Guid.NewGuid().ToString(), "manual", "manual", null, null, payload);
        try
        {
            var result = await batcher.RecordAsync(delivery, [job], http.RequestAborted);
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

#pragma warning disable IDE1006, CA1707 // wire names from the guide
    private sealed class ManualRequest
    {
        public string? job_type { get; set; }
        public JsonElement? payload { get; set; }
        public int? priority { get; set; }
    }
#pragma warning restore IDE1006, CA1707

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,100}$")]
    private static partial Regex JobTypeName();
}
