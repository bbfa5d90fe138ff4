namespace AgentFactory.Jobs;

/// <summary>What kind of step: a model turn, a tool call, an event of a coding CLI, or a note of the agent's own.</summary>
public static class StepKinds
{
    public const string Model = "model";
    public const string Tool = "tool";
    public const string Cli = "cli";
    public const string Note = "note";
}

/// <summary>A step to append. Texts are stored as given: callers cut them and remove secrets first.</summary>
/// <param name="Name">The model's name for a turn, the tool's name for a call, the event type for a CLI event.</param>
/// <param name="Input">What went in: a tool call's arguments (JSON), a turn's prompt excerpt.</param>
/// <param name="Output">What came out: a tool's result as the model saw it, a turn's reply (text and tool calls, JSON).</param>
/// <param name="CallId">The model's id of a tool call, so a resumed run can pair calls and results.</param>
public sealed record NewJobStep(
    string Kind,
    string Name,
    string? Input = null,
    string? Output = null,
    bool IsError = false,
    TimeSpan Duration = default,
    long InputTokens = 0,
    long OutputTokens = 0,
    decimal? CostUsd = null,
    string? CallId = null);

/// <summary>One stored step of a job's transcript.</summary>
public sealed record JobStep(
    long JobId,
    int Index,
    int Attempt,
    DateTimeOffset At,
    string Kind,
    string Name,
    string? Input,
    string? Output,
    bool IsError,
    TimeSpan Duration,
    long InputTokens,
    long OutputTokens,
    decimal? CostUsd,
    string? CallId);

/// <summary>What a job's steps used: model turns, tokens and cost (USD; 0 when no price is known).</summary>
public sealed record JobUsage(int Steps, int ModelTurns, long InputTokens, long OutputTokens, decimal CostUsd)
{
    public static JobUsage None { get; } = new(0, 0, 0, 0, 0m);
}
