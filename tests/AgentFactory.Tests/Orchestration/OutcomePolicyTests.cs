using AgentFactory.Jobs;
using AgentFactory.Orchestration;

namespace AgentFactory.Tests.Orchestration;

public sealed class OutcomePolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static JobRecord Job(int attempt, int max) => new(1, "t", "{}", JobStatus.Running, 0, attempt, max, Now, Now, Now, null, null, [], null, "w", Now, null);

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 40)]
    [InlineData(4, 80)]
    public void Backoff_doubles_per_attempt_without_jitter(int attempt, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), new OutcomePolicy(TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), () => 0.5).Backoff(attempt));

    [Fact]
    public void Jitter_stays_within_a_quarter_either_side()
    {
        Assert.Equal(TimeSpan.FromSeconds(7.5), new OutcomePolicy(TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), () => 0.0).Backoff(1));
        Assert.Equal(TimeSpan.FromSeconds(12.5), new OutcomePolicy(TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), () => 1.0).Backoff(1));
    }

    [Fact]
    public void Backoff_is_capped_at_the_maximum() =>
        Assert.Equal(TimeSpan.FromMinutes(5), new OutcomePolicy(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5), () => 1.0).Backoff(30));

    [Fact]
    public void Failure_with_attempts_left_retries_after_the_backoff()
    {
        var verdict = new OutcomePolicy(TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), () => 0.5).Decide(Job(2, 3), AttemptEnd.Failed, Now);
        Assert.Equal(Decision.Retry, verdict.Decision);
        Assert.Equal(Now.AddSeconds(20), verdict.RetryAt);
    }

    [Theory]
    [InlineData(AttemptEnd.Failed, 3, 3, Decision.Fail)]
    [InlineData(AttemptEnd.TimedOut, 3, 3, Decision.Fail)]
    [InlineData(AttemptEnd.TimedOut, 1, 3, Decision.Retry)]
    [InlineData(AttemptEnd.PermanentFailure, 1, 3, Decision.Fail)]
    [InlineData(AttemptEnd.Succeeded, 1, 3, Decision.Complete)]
    [InlineData(AttemptEnd.Cancelled, 1, 3, Decision.Nothing)]
    [InlineData(AttemptEnd.LeaseLost, 1, 3, Decision.Nothing)]
    [InlineData(AttemptEnd.ShuttingDown, 3, 3, Decision.Release)]
    public void Each_ending_maps_to_one_decision(AttemptEnd end, int attempt, int max, Decision expected) =>
        Assert.Equal(expected, new OutcomePolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)).Decide(Job(attempt, max), end, Now).Decision);
}
