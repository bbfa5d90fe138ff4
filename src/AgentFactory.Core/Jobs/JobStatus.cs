namespace AgentFactory.Jobs;

/// <summary>Lifecycle of a row in <c>agent_jobs</c>: pending → running → completed | failed, or cancelled.</summary>
public enum JobStatus
{
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

public static class JobStatusNames
{
    public static string ToDb(this JobStatus status) => status switch
    {
        JobStatus.Pending => "pending",
        JobStatus.Running => "running",
        JobStatus.Completed => "completed",
        JobStatus.Failed => "failed",
        JobStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static JobStatus Parse(string value) =>
        TryParse(value, out var status) ? status : throw new FormatException($"Unknown job status '{value}'.");

    public static bool TryParse(string? value, out JobStatus status)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "pending": status = JobStatus.Pending; return true;
            case "running": status = JobStatus.Running; return true;
            case "completed": status = JobStatus.Completed; return true;
            case "failed": status = JobStatus.Failed; return true;
            case "cancelled" or "canceled": status = JobStatus.Cancelled; return true;
            default: status = default; return false;
        }
    }

    public static IReadOnlyList<JobStatus> All { get; } = Enum.GetValues<JobStatus>();
}
