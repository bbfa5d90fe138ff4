using AgentFactory.Jobs;

namespace AgentFactory.Orchestration;

/// <summary>Why an attempt ended.</summary>
public enum AttemptEnd
{
    Succeeded,
    Failed,
    PermanentFailure,
    TimedOut,
    /// <summary>A user cancelled the job; the row already says cancelled.</summary>
    Cancelled,
    /// <summary>Another worker or the rescuer owns the row now: write nothing.</summary>
    LeaseLost,
    /// <summary>The instance is stopping and the grace period ran out: hand the job back.</summary>
    ShuttingDown,
    /// <summary>The delivery's sender may not start this job (docs/security.md): the agent never ran; failed, not retried, not notified.</summary>
    Refused,
}

/// <summary>What to write back for an attempt.</summary>
public enum Decision
{
    Complete,
    Retry,
    Fail,
    Release,
    Nothing,
}

public sealed record Verdict(Decision Decision, DateTimeOffset? RetryAt = null);

/// <summary>
/// The one place that decides retry, fail, release or complete for a finished attempt. Retries use
/// exponential backoff (base × 2^(attempt-1), capped) with ±25 % jitter, up to the job's max attempts.
/// </summary>
public sealed class OutcomePolicy(TimeSpan baseDelay, TimeSpan maxDelay, Func<double>? random = null)
{
    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;

    public Verdict Decide(JobRecord job, AttemptEnd end, DateTimeOffset now) => end switch
    {
        AttemptEnd.Succeeded => new(Decision.Complete),
        AttemptEnd.Cancelled or AttemptEnd.LeaseLost => new(Decision.Nothing),
        AttemptEnd.ShuttingDown => new(Decision.Release),
        AttemptEnd.PermanentFailure or AttemptEnd.Refused => new(Decision.Fail),
        _ when job.Attempt >= job.MaxAttempts => new(Decision.Fail),
        _ => new(Decision.Retry, now + Backoff(job.Attempt)),
    };

    /// <summary>The delay before retrying after failed attempt number <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan Backoff(int attempt)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var raw = Math.Min(baseDelay.TotalSeconds * Math.Pow(2, exponent), maxDelay.TotalSeconds);
        var jitter = 0.75 + (_random() * 0.5);
        return TimeSpan.FromSeconds(Math.Min(raw * jitter, maxDelay.TotalSeconds));
    }
}
