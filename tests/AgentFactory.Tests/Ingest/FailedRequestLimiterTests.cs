using System.Net;
using AgentFactory.Ingest;
using AgentFactory.Options;

namespace AgentFactory.Tests.Ingest;

public sealed class FailedRequestLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress Other = IPAddress.Parse("2001:db8::1");

    [Fact]
    public void A_client_is_blocked_once_it_has_spent_its_failures_and_not_before()
    {
        using var limiter = new FailedRequestLimiter(3);
        for (var i = 0; i < 3; i++)
        {
            Assert.False(limiter.IsBlocked(Client));
            limiter.RecordFailure(Client);
        }
        Assert.True(limiter.IsBlocked(Client));
        Assert.False(limiter.IsBlocked(Other));
    }

    [Fact]
    public void Clients_without_an_address_share_one_budget()
    {
        using var limiter = new FailedRequestLimiter(1);
        limiter.RecordFailure(null);
        Assert.True(limiter.IsBlocked(null));
        Assert.False(limiter.IsBlocked(Client));
    }

    [Fact]
    public void Zero_turns_limiting_off()
    {
        using var limiter = new FailedRequestLimiter(new AgentFactoryOptions { WebhookFailureLimitPerMinute = 0 });
        for (var i = 0; i < 50; i++) limiter.RecordFailure(Client);
        Assert.False(limiter.IsBlocked(Client));
    }

    [Fact]
    public void The_limit_comes_from_WEBHOOK_FAILURE_LIMIT()
    {
        using var limiter = new FailedRequestLimiter(new AgentFactoryOptions { WebhookFailureLimitPerMinute = 2 });
        limiter.RecordFailure(Client);
        Assert.False(limiter.IsBlocked(Client));
        limiter.RecordFailure(Client);
        Assert.True(limiter.IsBlocked(Client));
    }
}
