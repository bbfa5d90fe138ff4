using AgentFactory.Ingest;
using AgentFactory.Options;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Ingest;

/// <summary>The body budget's arithmetic, without a server: shares, exact fits and giving bytes back.</summary>
public sealed class BodyBudgetRulesTests
{
    [Fact]
    public void Throttled_clients_share_a_quarter_of_the_budget_and_leave_the_rest_to_others()
    {
        var budget = new BodyBudget(400);
        Assert.True(budget.TryTake(100, suspect: true));
        Assert.False(budget.TryTake(1, suspect: true));
        Assert.True(budget.TryTake(300, suspect: false));
        Assert.False(budget.TryTake(1, suspect: false));
        budget.Return(100, suspect: true);
        Assert.True(budget.TryTake(100, suspect: true));
        Assert.Equal(400, budget.Used);
    }

    [Fact]
    public void A_body_that_exactly_fills_the_budget_fits()
    {
        var budget = new BodyBudget(new AgentFactoryOptions { WebhookBodyBudgetBytes = 400 }, TimeProvider.System);
        Assert.True(budget.TryTake(400, suspect: false));
        Assert.Equal(400, budget.Used);
        Assert.False(budget.TryTake(1, suspect: false));
        budget.Return(400, suspect: false);
        Assert.Equal(0, budget.Used);
        Assert.True(budget.TryTake(100, suspect: true));
        Assert.Equal(100, budget.Used);
    }

    /// <summary>A throttled client refused because the whole budget is spent must not keep a claim on the suspects' share.</summary>
    [Fact]
    public void A_throttled_client_refused_for_lack_of_room_gives_its_share_back()
    {
        var budget = new BodyBudget(400);
        Assert.True(budget.TryTake(350, suspect: false));
        Assert.False(budget.TryTake(100, suspect: true));
        Assert.Equal(350, budget.Used);
        budget.Return(350, suspect: false);
        Assert.True(budget.TryTake(100, suspect: true));
        Assert.Equal(100, budget.Used);
    }

    /// <summary>A flood of refusals writes one log line per ten seconds: the first at once, then none until the gap has passed.</summary>
    [Fact]
    public void A_spent_budget_is_reported_at_once_then_at_most_once_per_ten_seconds()
    {
        var time = new FakeTimeProvider();
        var budget = new BodyBudget(400, time);
        Assert.True(budget.ShouldReportSpent());
        Assert.False(budget.ShouldReportSpent());
        time.Advance(BodyBudget.ReportEvery - TimeSpan.FromMilliseconds(1));
        Assert.False(budget.ShouldReportSpent());
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(budget.ShouldReportSpent());
        Assert.False(budget.ShouldReportSpent());
        time.Advance(TimeSpan.FromHours(1));
        Assert.True(budget.ShouldReportSpent());
    }

    [Fact]
    public void Each_budget_keeps_its_own_report_clock()
    {
        var time = new FakeTimeProvider();
        Assert.True(new BodyBudget(400, time).ShouldReportSpent());
        Assert.True(new BodyBudget(400, time).ShouldReportSpent());
        Assert.Equal(TimeSpan.FromSeconds(10), BodyBudget.ReportEvery);
    }
}
