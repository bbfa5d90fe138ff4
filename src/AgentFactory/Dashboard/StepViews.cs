using AgentFactory.Jobs;
using AgentFactory.Observability;

namespace AgentFactory.Dashboard;

/// <summary>
/// A job's transcript as the admin API, the dashboard and `agentfactory jobs show --steps` show it.
/// Step text is untrusted (model replies, tool output): it is passed through the
/// <see cref="SecretRedactor"/> here, on the way out, even though the writer stored it cleaned, so a
/// secret the writer missed (or one configured after the step was written) never reaches a reader.
/// </summary>
public static class StepViews
{
    /// <summary>The most steps one request returns (and the default).</summary>
    public const int MaxLimit = 500;

    public static StepView Step(JobStep s, SecretRedactor redactor) => new(
        s.Index, s.Attempt, s.At, s.Kind, redactor.Redact(s.Name), redactor.RedactOrNull(s.Input), redactor.RedactOrNull(s.Output), s.IsError,
        (long)s.Duration.TotalMilliseconds, s.InputTokens, s.OutputTokens, s.CostUsd, s.CallId is null ? null : redactor.Redact(s.CallId));

    public static JobUsageView Usage(JobUsage u) => new(u.Steps, u.ModelTurns, u.InputTokens, u.OutputTokens, u.CostUsd);

    /// <summary>
    /// Reads ?after= and ?limit= as the user typed them: null with the parsed values, or the message
    /// that says what is accepted (answered as 400).
    /// </summary>
    public static string? ParseQuery(string? after, string? limit, out int afterIndex, out int take)
    {
        afterIndex = 0;
        take = MaxLimit;
        if (!string.IsNullOrWhiteSpace(after) && (!int.TryParse(after.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out afterIndex)))
            return $"after must be a step index: a whole number from 0 (got '{Cut(after)}').";
        if (!string.IsNullOrWhiteSpace(limit)
            && (!int.TryParse(limit.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out take) || take < 1 || take > MaxLimit))
            return $"limit must be a whole number from 1 to {MaxLimit} (got '{Cut(limit)}').";
        return null;
    }

    private static string Cut(string s) => s.Length <= 20 ? s : s[..20] + "…";
}

/// <param name="DurationMs">How long the turn or tool call took, in milliseconds.</param>
/// <param name="CostUsd">Null when the model has no prices (or the step is not a model turn).</param>
/// <param name="CallId">The model's id of a tool call, pairing a call with its result.</param>
public sealed record StepView(
    int Index, int Attempt, DateTimeOffset At, string Kind, string Name, string? Input, string? Output, bool IsError,
    long DurationMs, long InputTokens, long OutputTokens, decimal? CostUsd, string? CallId);

/// <summary>What a job's steps used in all: model turns, tokens and cost (USD; 0 when no price is known).</summary>
public sealed record JobUsageView(int Steps, int ModelTurns, long InputTokens, long OutputTokens, decimal CostUsd);

/// <param name="NextAfter">Ask again with ?after= this for the steps that follow; null when this page reached the last stored step.</param>
/// <param name="Usage">The job's totals now, so a page that follows a running job keeps its totals current.</param>
public sealed record StepsPage(long JobId, string Status, IReadOnlyList<StepView> Items, int? NextAfter, JobUsageView Usage);
