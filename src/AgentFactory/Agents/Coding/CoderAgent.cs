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
using Microsoft.Extensions.Logging;

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
        if (!int.TryParse(job.PayloadString("issue.number"), out var number))
            throw new PermanentAgentException($"Agent '{Name}' works on issues: the job payload has no issue.number.");
        var repo = await s.GitHub.ForJobAsync(job, Name, ct);
        var issue = await repo.CallAsync($"reading issue #{number}", c => c.Issue.Get(repo.Owner, repo.Name, number), ct);
        var baseBranch = GitTarget.Branch(job.PayloadString("repository.default_branch") ?? "main", "repository.default_branch");
        var branchName = settings.BranchPrefix + number;
        var remote = CoderBranch.PushTarget(settings.Remote, s.Sources, repo);

        await using var branch = await CoderBranch.OpenAsync(s.Worktrees, await s.Sources.ForJobAsync(job, Name, ct), s.Git, settings, remote,
            branchName, baseBranch, $"coder-{job.Id}", ct);
        var steps = new StoreStepRecorder(s.Steps, job.Record.Lease, s.Redactor);
        var resume = branch.Continued ? await s.Steps.ListStepsAsync(job.Id, 0, 10_000, ct) : [];
        var title = UntrustedText.Clean(issue.Title ?? "");
        var task = new CodingTask(job.Id, repo.FullName, number, title, await InstructionsAsync(branch, issue, ct), baseBranch.Name, branchName);

        var environment = s.Environment.ForAgent(settings.PassEnv);
        var policy = s.Sandbox.PolicyFor(job.Id, settings, branch.Path);
        JobSandbox.Prepare(environment, policy);
        var started = s.Time.GetUtcNow();
        var run = new CodingRun(branch.Path, s.Processes, policy, environment, new BudgetScope(job.Id, repo.FullName, settings.Budget),
            started + settings.WallClock, steps, resume, c => branch.CheckpointAsync($"Work in progress on #{number}", c), settings.Tools, s.Time);
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

        var head = await branch.CheckpointAsync(CommitMessage(number, title, outcome), ct);
        var hasWork = head is not null && await branch.HasWorkAsync(ct);
        var usage = await s.Steps.GetJobUsageAsync(job.Id, ct);
        var report = new CoderReport(number, title, branchName, baseBranch.Name, outcome, hasWork ? await branch.DiffStatAsync(ct) : "", usage);
        var pr = hasWork ? await CoderPublisher.PullRequestAsync(repo, report, ct) : null;
        await CoderPublisher.CommentAsync(repo, number, CoderPublisher.CommentText(report, pr), ct);
        LogDone(log, repo.FullName, number, outcome.End.ToString(), pr?.Number, usage.ModelTurns, usage.CostUsd);

        var where = pr is null ? "no pull request (nothing changed)" : $"pull request #{pr.Number} {pr.HtmlUrl}{(pr.Draft || outcome.Tests != Tools.TestOutcome.Passed ? " (draft)" : "")}";
        var line = $"{Describe(outcome)}: {where} for issue #{number} of {repo.FullName}; {usage.ModelTurns} model turns, {usage.InputTokens}+{usage.OutputTokens} tokens, ${usage.CostUsd:0.####}.";
        return outcome.End switch
        {
            CodingEnd.Finished => AgentResult.Success(line),
            // A spent budget stays spent: retrying would only spend again.
            CodingEnd.BudgetEnded => throw new PermanentAgentException(line + " " + outcome.Detail),
            _ => throw new PermanentAgentException(line + " " + outcome.Detail),
        };
    }

    /// <summary>The task: the issue fenced as untrusted input, and the repository's agent instructions from its default branch.</summary>
    private async Task<string> InstructionsAsync(CoderBranch branch, Octokit.Issue issue, CancellationToken ct)
    {
        var text = new StringBuilder();
        text.Append("Issue #").Append(issue.Number).Append(", opened by @").Append(issue.User?.Login ?? "?").Append(":\n");
        text.Append(UntrustedText.Fence("issue", $"{issue.Title}\n\n{issue.Body}")).Append('\n');
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

    private static string CommitMessage(int number, string title, CodingOutcome outcome)
    {
        var summary = outcome.Summary.Length > 2_000 ? outcome.Summary[..2_000] + "…" : outcome.Summary;
        return $"Fix #{number}: {title}\n\n{summary}\n\nWritten by Agent Factory's coding agent.";
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
