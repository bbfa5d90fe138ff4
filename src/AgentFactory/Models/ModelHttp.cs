using System.Globalization;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace AgentFactory.Models;

/// <summary>How model calls are retried; one set for every model (each model has its own count).</summary>
public sealed record ModelRetryOptions
{
    /// <summary>The first back-off after a 5xx or network error without Retry-After; it doubles, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait taken, also when Retry-After asks for more: then the call fails now and the job's retry applies.</summary>
    public TimeSpan MaxRetryWait { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The one HttpClient a model's SDK sends through, with the one retry policy (the SDKs' own
/// retries are off): 408, 409, 429, 5xx, network errors and attempt time-outs are retried up to
/// the model's maxRetries with exponential back-off, or after Retry-After when the server says.
/// Every other status is given back at once for <see cref="ModelGuardChatClient"/> to explain.
/// </summary>
internal static class ModelHttp
{
    public static bool IsRetryable(int status) => status is 408 or 409 or 429 or >= 500;

    public static HttpClient Create(ModelSpec spec, ModelRetryOptions retry, TimeProvider time, ILogger log)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (spec.MaxRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = spec.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxRetryWait,
                ShouldRetryAfterHeader = false, // RetryAfter below: the same header, bounded by MaxRetryWait
                ShouldHandle = args => ValueTask.FromResult(!args.Context.CancellationToken.IsCancellationRequested && ShouldRetry(args.Outcome, retry, time)),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } r ? RetryAfter(r, time) : null),
                OnRetry = args =>
                {
                    log.LogWarning("Model {Model}: {What}; retry {Retry} of {Max} in {Delay:0.###} s", spec.Name,
                        args.Outcome.Result is { } r ? $"answered {(int)r.StatusCode}" : args.Outcome.Exception?.GetType().Name ?? "failed",
                        args.AttemptNumber + 1, spec.MaxRetries, args.RetryDelay.TotalSeconds);
                    return default;
                },
            });
        }
        builder.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = spec.Timeout });
#pragma warning disable CA2000 // owned by the HttpClient returned, which disposes its handler chain
        var handler = new ResilienceHandler(builder.Build()) { InnerHandler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) } };
#pragma warning restore CA2000
        // The SDKs bound each call by Overall(); the attempts inside are bounded by the pipeline.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>A backstop for the SDKs' own time-out: every attempt and every wait between them.</summary>
    public static TimeSpan Overall(ModelSpec spec, ModelRetryOptions retry) =>
        spec.Timeout * (spec.MaxRetries + 1) + retry.MaxRetryWait * spec.MaxRetries + TimeSpan.FromSeconds(5);

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ModelRetryOptions retry, TimeProvider time)
    {
        if (outcome.Result is { } response)
        {
            if (!IsRetryable((int)response.StatusCode)) return false;
            return RetryAfter(response, time) is not { } wait || wait <= retry.MaxRetryWait;
        }
        return HttpClientResiliencePredicates.IsTransient(outcome);
    }

    /// <summary>Retry-After (seconds or a date), or OpenAI's retry-after-ms; null when the server gave neither.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        if (response.Headers.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
            return TimeSpan.FromMilliseconds(millis);
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - time.GetUtcNow() is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        return null;
    }
}
