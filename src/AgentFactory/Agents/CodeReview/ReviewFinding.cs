namespace AgentFactory.Agents.CodeReview;

/// <summary>How much a finding matters; the "minSeverity" setting drops those below it.</summary>
public enum ReviewSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>
/// One finding of a review, the model's or a deterministic check's, on a line of the new version of
/// a file when <see cref="Line"/> is set (posted inline when that line is in the diff, else in the
/// summary), or on the file or the change as a whole.
/// </summary>
/// <param name="Source">"model" or the check's title ("Possible secret").</param>
public sealed record ReviewFinding(string Path, int? Line, ReviewSeverity Severity, string Message, string Source);

public static class ReviewSeverities
{
    public const string Accepted = "\"info\", \"warning\" or \"error\"";

    public static string Name(this ReviewSeverity severity) => severity switch
    {
        ReviewSeverity.Error => "error",
        ReviewSeverity.Warning => "warning",
        _ => "info",
    };

    public static ReviewSeverity? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "info" or "note" or "suggestion" or "nit" => ReviewSeverity.Info,
        "warning" or "warn" or "medium" => ReviewSeverity.Warning,
        "error" or "critical" or "high" or "bug" or "security" => ReviewSeverity.Error,
        _ => null,
    };

    public static string Icon(this ReviewSeverity severity) => severity switch
    {
        ReviewSeverity.Error => "🔴",
        ReviewSeverity.Warning => "🟠",
        _ => "🔵",
    };

    /// <summary>A deterministic check's finding: secrets and conflict markers are errors, size warnings, "not checked" info.</summary>
    public static ReviewFinding FromCheck(Finding f) => new(f.Path, f.Line, f.Kind switch
    {
        FindingKind.Secret or FindingKind.ConflictMarker => ReviewSeverity.Error,
        FindingKind.NoDiff => ReviewSeverity.Info,
        _ => ReviewSeverity.Warning,
    }, f.Message, DiffReview.Title(f.Kind));
}
