namespace AgentFactory.Jobs;

/// <summary>
/// How jobs that share a concurrency key (within one job type) run together. The key and mode are
/// frozen on the row when the job is queued, so they hold across instances and restarts.
/// </summary>
public enum ConcurrencyMode
{
    /// <summary>Queuing a job cancels the older pending and running jobs with its key ("superseded by job N").</summary>
    Supersede,
    /// <summary>At most one job with the key runs at a time, across every instance; the others wait, oldest first.</summary>
    Serialize,
    /// <summary>A new job is not run while a job with its key is pending: it is recorded cancelled, "skipped: job N … is pending".</summary>
    Skip,
}

/// <summary>A job's rendered concurrency key and its mode.</summary>
public sealed record JobConcurrency(string Key, ConcurrencyMode Mode)
{
    /// <summary>The word stored in agent_jobs.concurrency_mode.</summary>
    public string ModeName => ToDb(Mode);

    public static string ToDb(ConcurrencyMode mode) => mode switch
    {
        ConcurrencyMode.Supersede => "supersede",
        ConcurrencyMode.Serialize => "serialize",
        ConcurrencyMode.Skip => "skip",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    /// <summary>The mode for a routing-file or database word (any case); false for anything else.</summary>
    public static bool TryParseMode(string? value, out ConcurrencyMode mode)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "supersede": mode = ConcurrencyMode.Supersede; return true;
            case "serialize": mode = ConcurrencyMode.Serialize; return true;
            case "skip": mode = ConcurrencyMode.Skip; return true;
            default: mode = default; return false;
        }
    }

    /// <summary>The row's pair of columns as a value, or null when the job has no key.</summary>
    public static JobConcurrency? FromRow(string? key, string? mode) =>
        key is not null && TryParseMode(mode, out var m) ? new JobConcurrency(key, m) : null;
}
