using System.Text.Json;
using AgentFactory.Cli;

namespace AgentFactory.Replay;

/// <summary>
/// What `agentfactory replay` found: per stored delivery, what the agent would have posted, the tokens and cost
/// of its model calls and how long it took; and the totals. Written as JSON (snake_case) and read back by
/// `agentfactory replay compare`.
/// </summary>
public sealed record ReplayReport
{
    public const int FormatVersion = 1;

    public int Version { get; init; } = FormatVersion;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset Since { get; init; }
    public string Event { get; init; } = "";
    public string Agent { get; init; } = "";
    public string AgentKind { get; init; } = "";

    /// <summary>The catalog name of the model used ("default" when --model was not given), or null when there was none.</summary>
    public string? Model { get; init; }

    /// <summary>The provider's model id.</summary>
    public string? ModelId { get; init; }

    public decimal? InputUsdPerMillion { get; init; }
    public decimal? OutputUsdPerMillion { get; init; }
    public bool DryRun { get; init; } = true;
    public IReadOnlyList<ReplayJob> Jobs { get; init; } = [];
    public ReplayTotals Totals { get; init; } = new();

    /// <summary>"model-name (model-id)", "no model" — how a report is named in a comparison.</summary>
    public string Label => Model is null ? $"{Agent}, no model" : $"{Agent}, {Model} ({ModelId})";

    public string ToJson() => JsonSerializer.Serialize(this, CliJson.Pretty);

    /// <summary>Reads a report written by replay; the message says what is wrong with the file.</summary>
    public static ReplayReport Read(string path)
    {
        ReplayReport? report;
        try
        {
            report = JsonSerializer.Deserialize<ReplayReport>(File.ReadAllText(path), CliJson.Pretty);
        }
        catch (JsonException e)
        {
            throw new ReplayReportException($"{path} is not a replay report (JSON written by 'agentfactory replay'): {e.Message}");
        }
        if (report is null || report.Version != FormatVersion)
            throw new ReplayReportException($"{path} is not a replay report of version {FormatVersion} (written by 'agentfactory replay').");
        return report;
    }
}

/// <summary>One delivery replayed.</summary>
/// <param name="Outcome">"completed" or "failed" (what the job would have ended as), "timed out".</param>
/// <param name="CostUsd">From the model's prices in the catalog; null when it has none.</param>
public sealed record ReplayJob(
    long EventId, string DeliveryId, long JobId, string JobType, string? Action, string? Repository, string? Subject, DateTimeOffset ReceivedAt,
    string Outcome, string? Output, string? Error, IReadOnlyList<CapturedWrite> Writes,
    int ModelCalls, long InputTokens, long OutputTokens, decimal? CostUsd, double Seconds);

public sealed record ReplayTotals(
    int Jobs = 0, int Completed = 0, int Failed = 0, int Writes = 0, int ModelCalls = 0, long InputTokens = 0, long OutputTokens = 0, decimal? CostUsd = 0, double Seconds = 0)
{
    public static ReplayTotals Of(IReadOnlyList<ReplayJob> jobs) => new(
        jobs.Count, jobs.Count(j => j.Outcome == "completed"), jobs.Count(j => j.Outcome != "completed"), jobs.Sum(j => j.Writes.Count),
        jobs.Sum(j => j.ModelCalls), jobs.Sum(j => j.InputTokens), jobs.Sum(j => j.OutputTokens),
        jobs.Any(j => j.CostUsd is null && j.ModelCalls > 0) ? null : jobs.Sum(j => j.CostUsd ?? 0), Math.Round(jobs.Sum(j => j.Seconds), 3));
}

/// <summary>A report file that cannot be read; the message names the file.</summary>
public sealed class ReplayReportException : Exception
{
    public ReplayReportException() { }
    public ReplayReportException(string message) : base(message) { }
    public ReplayReportException(string message, Exception inner) : base(message, inner) { }
}
