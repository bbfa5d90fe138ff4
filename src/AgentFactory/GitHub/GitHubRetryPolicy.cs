namespace AgentFactory.GitHub;

/// <summary>What a GitHub response said about waiting: Retry-After and the x-ratelimit-* headers.</summary>
public sealed record RateLimitHeaders(TimeSpan? RetryAfter, string? Remaining, long? ResetUnixSeconds);

/// <summary>
/// Whether to retry one GitHub request, and after how long. Pure, so it is tested on its own.
/// A rate limit (429, or 403 with rate-limit headers or a "rate limit" message) means GitHub did
/// not act, so any method is retried after Retry-After or x-ratelimit-reset. A 5xx or a network
/// error is retried only for reads: a POST that timed out may have been applied (a second comment).
/// A wait longer than the bound is not taken: the attempt fails and the job's retry policy applies.
/// </summary>
public static class GitHubRetryPolicy
{
    /// <summary>A secondary rate limit without headers: GitHub asks for at least a minute.</summary>
    public static readonly TimeSpan SecondaryLimitWait = TimeSpan.FromMinutes(1);

    public static bool IsRead(HttpMethod method) => method == HttpMethod.Get || method == HttpMethod.Head;

    public static bool IsRateLimit(int status, RateLimitHeaders headers, string? body) =>
        status == 429 || (status == 403 && (headers.RetryAfter is not null || headers.Remaining == "0"
            || (body?.Contains("rate limit", StringComparison.OrdinalIgnoreCase) ?? false)));

    /// <summary>The delay before retry number <paramref name="retry"/> + 1, or null to give the response back as it is.</summary>
    public static TimeSpan? Decide(HttpMethod method, int status, RateLimitHeaders headers, string? body, int retry, DateTimeOffset now, GitHubSettings settings)
    {
        if (retry >= settings.MaxRetries) return null;
        TimeSpan delay;
        if (IsRateLimit(status, headers, body))
        {
            delay = headers.RetryAfter
                ?? (headers.Remaining == "0" && headers.ResetUnixSeconds is { } reset
                    ? DateTimeOffset.FromUnixTimeSeconds(reset) - now + TimeSpan.FromSeconds(1)
                    : SecondaryLimitWait);
        }
        else if (status >= 500 && IsRead(method))
        {
            delay = headers.RetryAfter ?? Backoff(retry, settings);
        }
        else
        {
            return null;
        }
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        return delay <= settings.MaxRetryWait ? delay : null;
    }

    /// <summary>Base delay × 2^retry, for 5xx and network errors.</summary>
    public static TimeSpan Backoff(int retry, GitHubSettings settings) =>
        TimeSpan.FromTicks(settings.RetryBaseDelay.Ticks * (1L << Math.Clamp(retry, 0, 16)));
}
