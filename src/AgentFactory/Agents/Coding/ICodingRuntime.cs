using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Sandbox;

namespace AgentFactory.Agents.Coding;

/// <summary>
/// What does the coding inside a coder job: the model in a tool loop (<c>runtime: "model"</c>) or a coding CLI
/// the team already uses (<c>runtime: "cli"</c>). The coder agent around it owns everything privileged and
/// shared by both: it checks out the worktree, records steps, checkpoints and publishes the branch, opens
/// or updates the pull request and comments on the issue. A runtime only changes files in the worktree,
/// through sandboxed processes, and says how its run ended.
/// </summary>
public interface ICodingRuntime
{
    /// <summary>"model" or "cli", as in the routing file.</summary>
    string Kind { get; }

    /// <summary>
    /// Works on <paramref name="task"/> until done, out of budget, or cancelled (which throws). Never throws for
    /// a budget: that is an outcome. Every model turn, tool call or CLI event is recorded through
    /// <see cref="CodingRun.Steps"/> as it happens.
    /// </summary>
    Task<CodingOutcome> RunAsync(CodingTask task, CodingRun run, CancellationToken ct);
}

/// <summary>The work, as the runtime may use it: everything from outside the team is already cleaned and fenced.</summary>
/// <param name="Instructions">The prompt body: the issue (or review comments, or /fix instruction) fenced as untrusted
/// input, plus the repository's agent instructions read from its default branch.</param>
/// <param name="FollowUp">True when this run continues an existing pull request (review follow-up, /fix on a PR).</param>
public sealed record CodingTask(
    long JobId,
    string Repository,
    int? IssueNumber,
    string Title,
    string Instructions,
    string BaseBranch,
    string Branch,
    bool FollowUp = false);

/// <summary>What a run is given by the coder agent.</summary>
/// <param name="Worktree">The job's private checkout of <see cref="CodingTask.Branch"/> (or the base branch on a first run).</param>
/// <param name="Policy">The sandbox every process of the run starts under (writable: the worktree only).</param>
/// <param name="Environment">Exactly the environment of those processes (no credential of the service).</param>
/// <param name="Budget">The job's and repository's ceilings; the model layer refuses a call that would pass one.</param>
/// <param name="Deadline">The wall-clock budget: no new model turn or CLI work starts after it.</param>
/// <param name="Resume">Steps of earlier attempts of this job that the pushed branch already reflects (to replay, not repeat).</param>
/// <param name="Checkpoint">Makes the worktree's progress durable (commit and push of the work-in-progress branch); returns the commit.</param>
public sealed record CodingRun(
    string Worktree,
    IAgentProcesses Processes,
    SandboxPolicy Policy,
    IReadOnlyDictionary<string, string> Environment,
    BudgetScope Budget,
    DateTimeOffset Deadline,
    IStepRecorder Steps,
    IReadOnlyList<JobStep> Resume,
    Func<CancellationToken, Task<string?>> Checkpoint,
    CodingToolSettings ToolSettings,
    TimeProvider Time);

/// <summary>Appends the run's steps to the job's transcript (fenced on its lease; secrets removed before storing).</summary>
public interface IStepRecorder
{
    Task RecordAsync(NewJobStep step, CancellationToken ct);
}

/// <summary>How a run ended.</summary>
public enum CodingEnd
{
    /// <summary>The model called finish, or the CLI exited 0.</summary>
    Finished,
    /// <summary>A budget ended the run (<see cref="CodingOutcome.Budget"/> says which); the work so far is published as a draft.</summary>
    BudgetEnded,
    /// <summary>The run could not go on (repeated model errors, the CLI failed); the work so far is published as a draft.</summary>
    Failed,
}

/// <param name="Summary">What changed and why, for the pull request body (the model's finish summary, or the CLI's last message).</param>
/// <param name="Plan">The plan the run worked to, for the pull request body; null when none was given.</param>
/// <param name="Tests">Whether the repository's tests passed on the final change in the worktree.</param>
/// <param name="Budget">Which budget ended the run, when one did.</param>
/// <param name="Detail">For a failure: what went wrong, in the user's terms.</param>
public sealed record CodingOutcome(CodingEnd End, string Summary, string? Plan, TestOutcome Tests, BudgetKind? Budget = null, string? Detail = null);
