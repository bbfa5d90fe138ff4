using System.Globalization;
using System.Text;
using AgentFactory.Jobs;
using AgentFactory.Routing;

namespace AgentFactory.Orchestration.Tracking;

/// <summary>
/// The tracking comment's text for each state of a job. The first line is a hidden marker naming the job, so a
/// retry (in this or another instance) edits the same comment. Error text is shown in a code block: GitHub renders
/// no mention, link or HTML in it, and it cannot forge the marker, which must start the comment.
/// </summary>
public static class TrackingText
{
    private const int MaxReason = 1000;

    public static string Marker(long jobId) => $"<!-- agentfactory:job {jobId.ToString(CultureInfo.InvariantCulture)} -->";

    public static bool IsFor(string? body, long jobId) =>
        body is not null && (body.StartsWith(Marker(jobId) + "\n", StringComparison.Ordinal) || body == Marker(jobId));

    public static string Started(JobRecord job, JobTypeSettings settings) =>
        Compose(job, $"🔄 **Agent Factory job {job.Id}** (`{job.JobType}`, agent `{settings.Agent}`) is running: attempt {job.Attempt} of {job.MaxAttempts}.");

    public static string Retrying(JobRecord job, string? error, DateTimeOffset? at) =>
        Compose(job, $"🔁 **Agent Factory job {job.Id}** (`{job.JobType}`): attempt {job.Attempt} of {job.MaxAttempts} failed; " +
            $"it is retried{(at is { } t ? " at " + t.UtcDateTime.ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "")}.", error);

    public static string Completed(JobRecord job) =>
        Compose(job, $"✅ **Agent Factory job {job.Id}** (`{job.JobType}`) completed{Attempts(job)}.");

    /// <summary>Failed for good; an error saying "budget ended" is told as the budget's end, not as a fault.</summary>
    public static string Failed(JobRecord job, string? error) =>
        error?.Contains("budget ended", StringComparison.OrdinalIgnoreCase) == true
            ? Compose(job, $"⛔ **Agent Factory job {job.Id}** (`{job.JobType}`) stopped: its budget ended{Attempts(job)}.", error)
            : Compose(job, $"❌ **Agent Factory job {job.Id}** (`{job.JobType}`) failed{Attempts(job)}.", error);

    /// <summary>Cancelled: by a newer job with the same concurrency key ("superseded by job N"), else by /cancel or an operator.</summary>
    public static string Cancelled(JobRecord job, string? rowError) =>
        rowError?.StartsWith("superseded", StringComparison.Ordinal) == true
            ? Compose(job, $"⏭️ **Agent Factory job {job.Id}** (`{job.JobType}`) was {rowError}: a newer request replaced it.")
            : Compose(job, $"🚫 **Agent Factory job {job.Id}** (`{job.JobType}`) was cancelled.");

    public static string Paused(JobRecord job) =>
        Compose(job, $"⏸️ **Agent Factory job {job.Id}** (`{job.JobType}`): the service is restarting; the job goes on after it.");

    private static string Attempts(JobRecord job) => job.Attempt > 1 ? $" after {job.Attempt} attempts" : "";

    private static string Compose(JobRecord job, string headline, string? reason = null)
    {
        var sb = new StringBuilder(Marker(job.Id)).Append('\n').Append(headline);
        if (!string.IsNullOrWhiteSpace(reason))
        {
            var text = reason.Length > MaxReason ? reason[..MaxReason] + " …" : reason;
            // No run of three backticks or tildes survives, so the text cannot close the block.
            text = text.Replace("```", "'''", StringComparison.Ordinal).Replace("~~~", "---", StringComparison.Ordinal);
            sb.Append("\n\n```text\n").Append(text.Trim()).Append("\n```");
        }
        return sb.ToString();
    }
}
