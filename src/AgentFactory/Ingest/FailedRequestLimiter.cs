using System.Net;
using System.Threading.RateLimiting;
using AgentFactory.Options;

namespace AgentFactory.Ingest;

/// <summary>
/// Per-client budget of failed attempts (unsigned or mis-signed webhooks; wrong manual or admin tokens). A
/// client that spends it is refused without any work until its one-minute window ends. Correct
/// credentials never spend it.
/// </summary>
public sealed class FailedRequestLimiter : IDisposable
{
    /// <summary>Key of the admin surface's own budget (wrong tokens at the login and the API).</summary>
    public const string Admin = "admin";

    /// <summary>Wrong admin tokens one client may try per minute.</summary>
    public const int AdminFailuresPerMinute = 10;

    /// <summary>Key of the manual trigger's budget (requests with a missing or wrong token).</summary>
    public const string Manual = "manual";

    /// <summary>Missing or wrong manual trigger tokens one client may send per minute.</summary>
    public const int ManualFailuresPerMinute = 10;

    public static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(1);

    private readonly int _permits;
    private readonly PartitionedRateLimiter<string> _limiter;

    public FailedRequestLimiter(AgentFactoryOptions options) : this(options.WebhookFailureLimitPerMinute) { }

    /// <param name="permitsPerMinute">Failures allowed per client per minute; 0 turns limiting off.</param>
    public FailedRequestLimiter(int permitsPerMinute)
    {
        _permits = permitsPerMinute;
        _limiter = PartitionedRateLimiter.Create<string, string>(client =>
            RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, permitsPerMinute),
                Window = RetryAfter,
                QueueLimit = 0,
            }));
    }

    private bool Enabled => _permits > 0;

    public bool IsBlocked(IPAddress? client) =>
        Enabled && _limiter.GetStatistics(Key(client))?.CurrentAvailablePermits == 0;

    public void RecordFailure(IPAddress? client)
    {
        // Stryker disable once Statement : saves the limiter's work only; IsBlocked is false whatever is recorded while limiting is off.
        if (!Enabled) return;
        using var lease = _limiter.AttemptAcquire(Key(client));
    }

    // Stryker disable once String : any constant groups the clients without an address alike; no address prints as it.
    private static string Key(IPAddress? client) => client?.ToString() ?? "unknown";

    public void Dispose() => _limiter.Dispose();
}
