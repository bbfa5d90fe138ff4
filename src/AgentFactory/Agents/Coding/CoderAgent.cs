using System.Text;
using AgentFactory.Agents.Trust;
using AgentFactory.GitHub;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Observability;
using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Sandbox;
using AgentFactory.Workspace;

namespace AgentFactory.Agents.Coding;

/// <summary>What the coder agent is built from, shared by every coder agent of the routing file.</summary>
/// <param name="Store">The queue database's transcripts; absent where agents are only checked (agentfactory doctor).</param>
public sealed record CoderServices(GitHubClients GitHub, RepositorySources Sources, Worktrees Worktrees, Git Git, IAgentProcesses Processes,
    ProcessEnvironment Environment, JobSandbox Sandbox, SecretRedactor Redactor, AgentFactoryOptions Options, TimeProvider Time, IStepStore? Store = null)
{
    public IStepStore Steps => Store ?? throw new InvalidOperationException("The coder agent runs only inside the service, which has the queue database.");
}

/// <summary>
/// The guide's Example 3 done for real: for an issue, a runtime (a model in a tool loop, or a coding CLI) works
/// in a private worktree of the default branch inside the sandbox until it finishes or a budget ends; the
/// service commits and pushes its work on agent-task/issue-N (checkpointed as it goes, so a killed attempt
/// resumes from the pushed branch and the stored transcript), opens or updates one pull request (ready when
/// the repository's tests passed in the worktree, else a draft) and keeps one comment on the issue with the
/// link and the outcome. A budget that ends publishes the work so far as a draft and fails the job with that
/// reason; nothing retries a spent budget.
/// </summary>
public sealed partial class CoderAgent(string name, CoderSettings settings, ICodingRuntime runtime, CoderServices s, ILogger<CoderAgent> log) : IAgent
{
    public string Name { get; } = name;

    public ICodingRuntime Runtime => runtime;

    public async Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
    {
        var repo = await s.GitHub.ForJobAsync(job, Name, ct);
        var baseBranch = GitTarget.Branch(job.PayloadString("repository.default_branch") ?? "main", "repository.default_branch");
        if (CoderFollowUp.IsReview(job)) return await FollowUpAsync(job, repo, baseBranch, ct);
        if (CoderPullRequestFix.IsPullRequestComment(job)) return await PullRequestFixAsync(job, repo, baseBranch, ct);
        if (!int.TryParse(job.PayloadString("issue.number"), out var number))
            throw new PermanentAgentException($"Agent '{Name}' works on issues and on reviews of its pull requests: the job payload has neither issue.number nor review.id.");
        var issue = await repo.CallAsync($"reading issue #{number}", c => c.Issue.Get(repo.Owner, repo.Name, number), ct);
        var title = UntrustedText.Clean(issue.Title ?? "");
        var branchName = settings.BranchPrefix + number;

        var work = await WorkAsync(job, repo, branchName, baseBranch, number, title, "Fix", (branch, c) => InstructionsAsync(branch, issue, job, c), ct);
        var report = new CoderReport(number, title, branchName, baseBranch.Name, work.Outcome, work.DiffStat, work.Usage);
        var pr = work.HasWork ? await CoderPublisher.PullRequestAsync(repo, report, ct) : null;
        await CoderPublisher.CommentAsync(repo, number, CoderPublisher.CommentText(report, pr), ct);
        LogDone(log, repo.FullName, number, work.Outcome.End.ToString(), pr?.Number, work.Usage.ModelTurns, work.Usage.CostUsd);

        var where = pr is null ? "no pull request (nothing changed)" : $"pull request #{pr.Number} {pr.HtmlUrl}{(pr.Draft || work.Outcome.Tests != Tools.TestOutcome.Passed ? " (draft)" : "")}";
        return Result(work, $"{where} for issue #{number} of {repo.FullName}");
    }

    /// <summary>A review with comments on the agent's own pull request: the same branch, the comments as the task, a reply on each thread it handled.</summary>
    private async Task<AgentResult> FollowUpAsync(AgentJob job, GitHubRepo repo, GitTarget baseBranch, CancellationToken ct)
    {
        var review = await CoderFollowUp.LoadAsync(repo, job, settings.BranchPrefix, ct);
        if (review.Skip is { } why) return AgentResult.Success(why);
        var work = await WorkAsync(job, repo, review.Branch, baseBranch, review.Issue, review.Title, "Address review on", (_, _) => Task.FromResult(review.Instructions), ct);
        var steps = new StoreStepRecorder(s.Steps, job.Record.Lease, s.Redactor);
        var replied = await CoderFollowUp.ReplyAsync(repo, review, work.Outcome, work.Head, await s.Steps.ListStepsAsync(job.Id, 0, 10_000, ct), steps, ct);
        LogDone(log, repo.FullName, review.Issue, work.Outcome.End.ToString(), review.PullRequest, work.Usage.ModelTurns, work.Usage.CostUsd);
        return Result(work, $"review {review.ReviewId} on pull request #{review.PullRequest} of {repo.FullName} ({replied} threads answered)");
    }

    /// <summary>/fix in a pull request's conversation: the pull request's own branch (never a fork's), a reply on the pull request.</summary>
    private async Task<AgentResult> PullRequestFixAsync(AgentJob job, GitHubRepo repo, GitTarget baseBranch, CancellationToken ct)
    {
        var fix = await CoderPullRequestFix.LoadAsync(repo, job, baseBranch.Name, ct);
        if (fix.Refused is { } why)
        {
            await CoderPullRequestFix.ReplyAsync(repo, fix, CoderPullRequestFix.RefusedText(why), ct);
            throw new PermanentAgentException($"/fix on pull request #{fix.PullRequest} was refused: {why}");
        }
        var work = await WorkAsync(job, repo, fix.Branch, baseBranch, fix.PullRequest, fix.Title, "Address /fix on", async (branch, c) =>
        {
            // The branch must be there to work on: without it the run would start a new branch from the default one.
            if (!branch.Continued) throw new PermanentAgentException($"The pull request's branch {fix.Branch} is no longer in {repo.FullName}: nothing to work on.");
            return await WithRepositoryInstructionsAsync(branch, fix.Instructions, c);
        }, ct);
        await CoderPullRequestFix.ReplyAsync(repo, fix, CoderPullRequestFix.Text(fix, work.Outcome, work.Started, work.Head), ct);
        LogDone(log, repo.FullName, fix.PullRequest, work.Outcome.End.ToString(), fix.PullRequest, work.Usage.ModelTurns, work.Usage.CostUsd);
        var pushed = work.Head is not null && work.Head != work.Started ? $"pushed {work.Head[..7]} to {fix.Branch}" : $"nothing pushed to {fix.Branch}";
        return Result(work, $"/fix on pull request #{fix.PullRequest} of {repo.FullName}, {pushed}");
    }

    /// <param name="Started">The branch's commit on the remote when the run began ("" for a new branch).</param>
    private sealed record Work(CodingOutcome Outcome, string? Head, bool HasWork, string DiffStat, JobUsage Usage, string Started);

    /// <summary>One run on the agent's branch: checkout (continuing the pushed branch), the runtime in the sandbox, the final commit and push.</summary>
    /// <param name="verb">How the final commit's message starts: "Fix", "Address review on" (a follow-up on the branch) …</param>
    private async Task<Work> WorkAsync(AgentJob job, GitHubRepo repo, string branchName, GitTarget baseBranch, int number, string title, string verb,
        Func<CoderBranch, CancellationToken, Task<string>> instructions, CancellationToken ct)
    {
        var followUp = verb != "Fix";
        var remote = s.Sources.PushTarget(settings.Remote, repo);
        await using var branch = await CoderBranch.OpenAsync(s.Worktrees, await s.Sources.ForJobAsync(job, Name, ct), s.Git, settings, remote,
            branchName, baseBranch, $"coder-{job.Id}", ct);
        var started = branch.RemoteHead;
        var steps = new StoreStepRecorder(s.Steps, job.Record.Lease, s.Redactor);
        var resume = branch.Continued ? Resumable(await s.Steps.ListStepsAsync(job.Id, 0, 10_000, ct)) : [];
        var task = new CodingTask(job.Id, repo.FullName, number, title, await instructions(branch, ct), baseBranch.Name, branchName, followUp);

        var environment = s.Environment.ForAgent(settings.PassEnv);
        var policy = s.Sandbox.PolicyFor(job.Id, settings, branch.Path);
        JobSandbox.Prepare(environment, policy);
        var run = new CodingRun(branch.Path, s.Processes, policy, environment, new BudgetScope(job.Id, repo.FullName, settings.Budget),
            s.Time.GetUtcNow() + settings.WallClock, steps, resume, c => branch.CheckpointAsync($"Work in progress on #{number}", c), settings.Tools, s.Time);
        if (resume.Count > 0) await steps.RecordAsync(new NewJobStep(StepKinds.Note, "resumed", Output: $"Attempt {job.Attempt} resumes from {resume.Count} stored steps and branch {branchName}."), ct);

        CodingOutcome outcome;
        try
        {
            outcome = await runtime.RunAsync(task, run, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // What the run did so far is kept for the retry (or for a person, when nothing will retry).
            await TryCheckpointAsync(branch, number);
            throw;
        }

        var head = await branch.CheckpointAsync(CommitMessage(number, title, outcome, verb), ct);
        var hasWork = head is not null && await branch.HasWorkAsync(ct);
        return new Work(outcome, head, hasWork, hasWork ? await branch.DiffStatAsync(ct) : "", await s.Steps.GetJobUsageAsync(job.Id, ct), started);
    }

    /// <summary>The stored steps a resumed run replays: this job's, up to the last finished run (a rerun after success starts a fresh conversation).</summary>
    private static IReadOnlyList<JobStep> Resumable(IReadOnlyList<JobStep> steps)
    {
        var lastFinish = -1;
        for (var i = 0; i < steps.Count; i++)
            if (steps[i].Kind == StepKinds.Tool && steps[i].Name == "finish" && !steps[i].IsError) lastFinish = i;
        return lastFinish < 0 ? steps : [.. steps.Skip(lastFinish + 1)];
    }

    private static AgentResult Result(Work work, string where)
    {
        var u = work.Usage;
        var line = $"{Describe(work.Outcome)}: {where}; {u.ModelTurns} model turns, {u.InputTokens}+{u.OutputTokens} tokens, ${u.CostUsd:0.####}.";
        // A spent budget stays spent, and a run that could not go on would fail the same way: neither is retried.
        return work.Outcome.End == CodingEnd.Finished ? AgentResult.Success(line) : throw new PermanentAgentException(line + " " + work.Outcome.Detail);
    }

    /// <summary>The task: the issue fenced as untrusted input, and the repository's agent instructions from its default branch.</summary>
    private Task<string> InstructionsAsync(CoderBranch branch, Octokit.Issue issue, AgentJob job, CancellationToken ct)
    {
        var text = new StringBuilder();
        text.Append("Issue #").Append(issue.Number).Append(", opened by @").Append(issue.User?.Login ?? "?").Append(":\n");
        text.Append(UntrustedText.Fence("issue", $"{issue.Title}\n\n{issue.Body}")).Append('\n');
        // A "/fix <instruction>" comment: what its author asked for, as data like the issue itself.
        if (job.PayloadString("agentfactory.argument") is { Length: > 0 } asked)
            text.Append("\nThe comment that asked for this work (by @").Append(job.PayloadString("comment.user.login") ?? "?").Append(") says:\n")
                .Append(UntrustedText.Fence("comment", asked)).Append('\n');
        return WithRepositoryInstructionsAsync(branch, text.ToString(), ct);
    }

    /// <summary>The task and, after it, the repository's agent instructions from its default branch (never the branch worked on).</summary>
    private async Task<string> WithRepositoryInstructionsAsync(CoderBranch branch, string task, CancellationToken ct)
    {
        var text = new StringBuilder(task);
        if (await branch.InstructionsAsync(ct) is { } instructions)
            text.Append("\nThe repository's instructions for agents (").Append(settings.InstructionsFile).Append(", from the default branch):\n")
                .Append(UntrustedText.Fence("repository-instructions", Cut(instructions, 8_000))).Append('\n');
        return text.ToString();
    }

    private async Task TryCheckpointAsync(CoderBranch branch, int number)
    {
        try { await branch.CheckpointAsync($"Work in progress on #{number}", CancellationToken.None); }
        catch (Exception e) when (e is GitException or InvalidOperationException) { LogCheckpointFailed(log, number, e.Message); }
    }

    private static string CommitMessage(int number, string title, CodingOutcome outcome, string verb)
    {
        var summary = outcome.Summary.Length > 2_000 ? outcome.Summary[..2_000] + "…" : outcome.Summary;
        return $"{verb} #{number}: {title}\n\n{summary}\n\nWritten by Agent Factory's coding agent.";
    }

    private static string Describe(CodingOutcome o) => o.End switch
    {
        CodingEnd.Finished => $"Finished (tests {o.Tests.ToString().ToLowerInvariant()})",
        CodingEnd.BudgetEnded => $"The {BudgetExceededException.NameOf(o.Budget ?? BudgetKind.WallClock)} budget ended",
        _ => "Could not finish",
    };

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max] + "\n[… cut]";

    [LoggerMessage(Level = LogLevel.Information, Message = "Coder: {Repository} issue #{Issue} ended {End}, pull request {PullRequest}, {Turns} turns, ${Usd}")]
    private static partial void LogDone(ILogger logger, string repository, int issue, string end, int? pullRequest, int turns, decimal usd);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Coder: could not keep the work so far on issue #{Issue}: {Reason}")]
    private static partial void LogCheckpointFailed(ILogger logger, int issue, string reason);
}
