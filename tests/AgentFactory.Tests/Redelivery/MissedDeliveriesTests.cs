using AgentFactory.Cli;
using AgentFactory.Redelivery;

namespace AgentFactory.Tests.Redelivery;

/// <summary>Which deliveries count as missed, and the redeliver command's option parsing.</summary>
public sealed class MissedDeliveriesTests
{
    private static readonly DateTimeOffset T = new(2026, 1, 2, 3, 0, 0, TimeSpan.Zero);
    private long _id;

    private HookDelivery D(string guid, int code, int minutes, bool redelivery = false) => new()
    {
        Id = ++_id, Guid = guid, StatusCode = code, Status = code is >= 200 and < 300 ? "OK" : "Invalid HTTP Response", DeliveredAt = T.AddMinutes(minutes), Redelivery = redelivery,
    };

    [Fact]
    public void Each_missed_guid_is_chosen_once_by_its_newest_attempt()
    {
        var missed = MissedDeliveries.Select([D("a", 500, 0), D("a", 502, 5, redelivery: true), D("b", 200, 1), D("c", 500, 2), D("c", 200, 3, redelivery: true), D("d", 500, 4)],
            new HashSet<string> { "d" });
        Assert.Equal(["b", "a"], missed.Select(m => m.Latest.Guid)); // oldest first
        Assert.Contains("not stored", missed[0].Reason, StringComparison.Ordinal);
        Assert.Equal(2, missed[1].Latest.Id);
        Assert.Equal(2, missed[1].Attempts);
    }

    [Fact]
    public void A_2xx_without_status_ok_is_not_a_success()
    {
        var odd = new HookDelivery { Id = 1, Guid = "x", StatusCode = 200, Status = "Invalid HTTP Response: 200", DeliveredAt = T, Redelivery = true };
        Assert.Single(MissedDeliveries.Select([odd], new HashSet<string>()));
    }

    [Theory]
    [InlineData("repo:octo/app:12", "repos/octo/app/hooks/12/deliveries")]
    [InlineData("org:acme:34", "orgs/acme/hooks/34/deliveries")]
    [InlineData(" app ", "app/hook/deliveries")]
    public void Targets_parse_to_the_documented_paths(string text, string path) =>
        Assert.Equal(path, HookTarget.Parse(text).Target!.DeliveriesPath);

    [Theory]
    [InlineData("repo:octo:12")]
    [InlineData("org:acme:0")]
    [InlineData("repo:octo/app")]
    [InlineData("apps")]
    public void Malformed_targets_are_refused(string text) => Assert.NotNull(HookTarget.Parse(text).Error);

    [Fact]
    public void Since_takes_durations_and_timestamps()
    {
        Assert.Equal(T.AddHours(-24), RedeliverCommand.ParseSince("24h", T));
        Assert.Equal(T.AddMinutes(-90), RedeliverCommand.ParseSince("90m", T));
        Assert.Equal(T.AddDays(-2), RedeliverCommand.ParseSince("2d", T));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), RedeliverCommand.ParseSince("2026-01-01T00:00:00Z", T));
        Assert.Null(RedeliverCommand.ParseSince("soon", T));
    }
}
