using System.Net;
using System.Threading.RateLimiting;
using AgentFactory.Options;

namespace AgentFactory.Ingest;

/// <summary>
/// Per-client budget of unsigned or mis-signed webhook requests. A client that spends it is
/// answered 429 without any work until its window ends; correctly signed deliveries never spend it,
/// so GitHub is not slowed down by someone else hammering the endpoint.
/// </summary>
public sealed class FailedRequestLimiter(AgentFactoryOptions options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(client =>
        RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, options.WebhookFailureLimitPerMinute),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    public static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(1);

    private bool Enabled => options.WebhookFailureLimitPerMinute > 0;

    public bool IsBlocked(IPAddress? client) =>
        Enabled && _limiter.GetStatistics(Key(client))?.CurrentAvailablePermits == 0;

    public void RecordFailure(IPAddress? client)
    {
        if (!Enabled) return;
        using var lease = _limiter.AttemptAcquire(Key(client));
    }

    private static string Key(IPAddress? client) => client?.ToString() ?? "unknown";

    public void Dispose() => _limiter.Dispose();
}
