using AgentFactory.GitHub;
using Octokit;

namespace AgentFactory.Agents.CodeReview;

/// <summary>How a review ended, as a check run's conclusion.</summary>
public enum ReviewVerdict
{
    /// <summary>Nothing to report at or above minSeverity.</summary>
    Clean,

    /// <summary>Findings, none of them errors.</summary>
    Findings,

    /// <summary>At least one error finding.</summary>
    Errors,

    /// <summary>The review itself failed (GitHub or the model); the job's retry may try again.</summary>
    Failed,

    /// <summary>Cancelled: a newer push superseded it, or /cancel.</summary>
    Cancelled,
}

/// <summary>
/// The review's state on the reviewed head commit, so branch protection and the commit list show it: a check run
/// named <see cref="Name"/> when the credentials are a GitHub App's installation (check runs need an App), else a
/// commit status with context <see cref="Context"/> (GITHUB_TOKEN). Started as in progress / pending, ended with
/// the review's verdict. The routing file's <c>report</c> setting ("auto", "check", "status", "none") chooses.
/// Writing it never fails the review: a token without the permission only loses the report.
/// </summary>
public sealed partial class ReviewCheck
{
    public const string Name = "Agent Factory review";
    public const string Context = "agentfactory/review";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly GitHubRepo _repo;
    private readonly string _sha;
    private readonly bool _asCheck;
    private readonly ILogger _log;
    private long? _checkRunId;

    private ReviewCheck(GitHubRepo repo, string sha, bool asCheck, ILogger log) => (_repo, _sha, _asCheck, _log) = (repo, sha, asCheck, log);

    /// <summary>Starts the report on <paramref name="sha"/>, or returns null when <paramref name="report"/> is "none" or there is no commit.</summary>
    public static async Task<ReviewCheck?> StartAsync(GitHubRepo repo, string? sha, string report, string what, ILogger log, CancellationToken ct)
    {
        var mode = report.Trim().ToLowerInvariant();
        if (sha is null || mode == "none") return null;
        var check = new ReviewCheck(repo, sha, mode == "check" || (mode == "auto" && repo.AsApp), log);
        await check.WriteAsync(async bound =>
        {
            if (check._asCheck)
            {
                var run = await repo.CallAsync("starting the review's check run", c => c.Check.Run.Create(repo.Owner, repo.Name,
                    new NewCheckRun(Name, sha) { Status = CheckStatus.InProgress, Output = new NewCheckRunOutput("Reviewing", $"Reviewing {what}.") }), bound);
                check._checkRunId = run.Id;
            }
            else
            {
                await repo.CallAsync("setting the review's commit status", c => c.Repository.Status.Create(repo.Owner, repo.Name, sha,
                    new NewCommitStatus { State = CommitState.Pending, Context = Context, Description = Cut($"Reviewing {what}") }), bound);
            }
        }, ct);
        return check;
    }

    /// <summary>Ends the report; <paramref name="summary"/> is the review's summary (markdown) or the failure's reason.</summary>
    public Task EndAsync(ReviewVerdict verdict, string title, string summary, string? url = null) => WriteAsync(async bound =>
    {
        if (_asCheck)
        {
            if (_checkRunId is not { } id) return;
            var update = new CheckRunUpdate
            {
                Status = CheckStatus.Completed,
                Conclusion = verdict switch
                {
                    ReviewVerdict.Clean => CheckConclusion.Success,
                    ReviewVerdict.Findings => CheckConclusion.Neutral,
                    ReviewVerdict.Cancelled => CheckConclusion.Cancelled,
                    _ => CheckConclusion.Failure,
                },
                Output = new NewCheckRunOutput(Cut(title), summary.Length > 60_000 ? summary[..60_000] + " …" : summary),
                DetailsUrl = url,
            };
            await _repo.CallAsync("ending the review's check run", c => c.Check.Run.Update(_repo.Owner, _repo.Name, id, update), bound);
        }
        else
        {
            var state = verdict switch
            {
                ReviewVerdict.Clean or ReviewVerdict.Findings => CommitState.Success,
                ReviewVerdict.Errors => CommitState.Failure,
                _ => CommitState.Error,
            };
            await _repo.CallAsync("setting the review's commit status", c => c.Repository.Status.Create(_repo.Owner, _repo.Name, _sha,
                new NewCommitStatus { State = state, Context = Context, Description = Cut(title), TargetUrl = url }), bound);
        }
    }, CancellationToken.None);

    public static ReviewVerdict VerdictOf(IReadOnlyCollection<ReviewFinding> posted) =>
        posted.Count == 0 ? ReviewVerdict.Clean : posted.Any(f => f.Severity == ReviewSeverity.Error) ? ReviewVerdict.Errors : ReviewVerdict.Findings;

    /// <summary>Bounded, and never thrown: the review matters more than the report of it. The caller's cancellation still stops it.</summary>
    private async Task WriteAsync(Func<CancellationToken, Task> write, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(Bound);
        try
        {
            await write(bound.Token);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogFailed(_log, _asCheck ? "check run" : "commit status", _repo.FullName, _sha[..Math.Min(7, _sha.Length)], e.Message);
        }
    }

    /// <summary>GitHub refuses a status description over 140 characters and a check title over 255.</summary>
    private static string Cut(string text) => text.Length > 140 ? text[..137] + "…" : text;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the review's {Kind} on {Repository}@{Sha}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string kind, string repository, string sha, string reason);
}
