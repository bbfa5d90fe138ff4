namespace AgentFactory.Models;

/// <summary>How one model call ended.</summary>
public enum ModelCallOutcome
{
    Completed,

    /// <summary>The reply was cut at the output limit (finish reason "length" / "max_tokens").</summary>
    Truncated,

    /// <summary>The reply had a tool call whose arguments are not a JSON object.</summary>
    MalformedToolCall,

    /// <summary>No reply: an error after retries, a refusal by the endpoint, a timeout or a cancellation.</summary>
    Failed,
}

/// <summary>
/// One call that was sent to a model, with what it used: the record transcripts and /metrics keep.
/// Tokens are the provider's counts; when it sent none they are estimated (<see cref="UsageEstimated"/>).
/// Usd is null when the model has no prices. Holds no prompt, reply or key.
/// </summary>
public sealed record ModelCall(
    string Model,
    string ModelId,
    long JobId,
    string Repository,
    long InputTokens,
    long OutputTokens,
    decimal? Usd,
    bool UsageEstimated,
    TimeSpan Duration,
    ModelCallOutcome Outcome,
    string? FinishReason);

/// <summary>Told about every call that was sent (not about calls a budget refused). Must be quick and must not throw.</summary>
public interface IModelCallObserver
{
    void Observed(ModelCall call);
}
