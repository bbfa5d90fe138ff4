namespace AgentFactory.Jobs;

/// <summary>One row of <c>agent_jobs</c> as the store returns it.</summary>
/// <param name="Payload">The job's payload as JSON text.</param>
/// <param name="Attempt">How many times the job has been claimed; the running attempt while it runs.</param>
/// <param name="Errors">Every failed attempt's error, oldest first.</param>
/// <param name="Output">The tail of the last attempt's output, if the agent produced any.</param>
/// <param name="Concurrency">The concurrency key and mode frozen on the row when it was queued; null when it has none.</param>
public sealed record JobRecord(
    long Id,
    string JobType,
    string Payload,
    JobStatus Status,
    int Priority,
    int Attempt,
    int MaxAttempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset ScheduledAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Error,
    IReadOnlyList<AttemptError> Errors,
    string? Output,
    string? LeaseOwner,
    DateTimeOffset? LeaseExpiresAt,
    long? EventId,
    JobConcurrency? Concurrency = null)
{
    /// <summary>The lease this row carries while running: every write-back is fenced on it.</summary>
    public JobLease Lease => new(Id, LeaseOwner ?? "", Attempt);
}

/// <summary>The error of one failed attempt, kept on the job row.</summary>
public sealed record AttemptError(int Attempt, DateTimeOffset At, string Error);

/// <summary>
/// The claim a worker holds on a running job. A write-back (complete, fail, renew, release) only
/// succeeds while the row still carries this owner and attempt, so a stale worker can never
/// overwrite a newer attempt or a cancellation.
/// </summary>
public sealed record JobLease(long JobId, string Owner, int Attempt);

/// <summary>A job to insert.</summary>
/// <param name="Payload">JSON text.</param>
/// <param name="RunAt">Not before this time; null means now.</param>
/// <param name="Concurrency">The rendered concurrency key and its mode (see <see cref="ConcurrencyMode"/>); null: none.</param>
public sealed record NewJob(string JobType, string Payload, int Priority = 0, int MaxAttempts = 3, DateTimeOffset? RunAt = null, JobConcurrency? Concurrency = null);

/// <summary>How a failed attempt is written back: retried at <paramref name="RetryAt"/>, or failed for good when it is null.</summary>
public sealed record JobFailure(string Error, string? Output, DateTimeOffset? RetryAt);

/// <summary>Filters for listing jobs; null means any.</summary>
/// <param name="Search">Substring of the job type, the error or the payload text, case-insensitive at least for ASCII letters; '%' and '_' are literal.</param>
public sealed record JobQuery(JobStatus? Status = null, string? JobType = null, int Limit = 50, long? BeforeId = null, string? Search = null);

/// <summary>How many jobs of one type are in one status.</summary>
public sealed record JobTypeCount(string JobType, JobStatus Status, long Count);

/// <summary>Jobs that finished within one time bucket starting at <paramref name="Start"/>.</summary>
public sealed record FinishedJobsBucket(DateTimeOffset Start, long Completed, long Failed);
