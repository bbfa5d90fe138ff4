using System.Collections.Concurrent;
using System.Net;
using System.Threading.RateLimiting;

namespace AgentFactory.Dashboard;

/// <summary>
/// Wrong admin tokens (bearer or login form) per client address. Each wrong token is logged with the
/// address until the client has spent its budget for the minute; after that, wrong tokens are answered
/// 429 with Retry-After and logged once per window. A correct token is never counted nor refused:
/// behind an SSH tunnel or a local proxy every client is 127.0.0.1, and a local process guessing must
/// not lock the operator out. The token itself (at least 16 characters, 43 when generated) is what
/// makes guessing hopeless; this keeps guessing loud and cheap to refuse.
/// </summary>
public sealed partial class AdminGuessLimiter : IDisposable
{
    /// <summary>Wrong admin tokens one client address may try per minute before it is answered 429.</summary>
    public const int WrongTokensPerMinute = 10;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(client =>
        RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = WrongTokensPerMinute,
            Window = Window,
            QueueLimit = 0,
        }));

    private readonly ConcurrentDictionary<string, DateTimeOffset> _throttledUntil = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger<AdminGuessLimiter> _log;

    public AdminGuessLimiter(TimeProvider time, ILogger<AdminGuessLimiter> log)
    {
        _time = time;
        _log = log;
    }

    /// <summary>
    /// Counts one wrong token from <paramref name="client"/> at <paramref name="where"/> ("bearer", "login").
    /// Null while the client is within its budget (answer 401); otherwise how long until its wrong tokens
    /// are heard again (answer 429 with Retry-After).
    /// </summary>
    public TimeSpan? WrongToken(IPAddress? client, string where)
    {
        var key = client?.ToString() ?? "unknown";
        using var lease = _limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            LogWrongToken(_log, where, key);
            return null;
        }
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : Window;
        var now = _time.GetUtcNow();
        if (!_throttledUntil.TryGetValue(key, out var until) || until <= now)
        {
            if (_throttledUntil.Count > 10_000) foreach (var old in _throttledUntil.Where(t => t.Value <= now)) _throttledUntil.TryRemove(old);
            _throttledUntil[key] = now + retryAfter;
            LogThrottled(_log, key, WrongTokensPerMinute, retryAfter.TotalSeconds);
        }
        return retryAfter;
    }

    /// <summary>The Retry-After header value: whole seconds, at least one.</summary>
    public static string Seconds(TimeSpan retryAfter) =>
        Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => _limiter.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wrong admin token ({Where}) from {Client}")]
    private static partial void LogWrongToken(ILogger logger, string where, string client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Client} sent more than {Limit} wrong admin tokens in a minute; its wrong tokens get 429 for {Seconds:0}s (the right token still works)")]
    private static partial void LogThrottled(ILogger logger, string client, int limit, double seconds);
}
