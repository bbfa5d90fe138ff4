using AgentFactory.Sandbox;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// What the tools of one coding run share: the worktree they work in, how its processes are started
/// (always through <see cref="IAgentProcesses"/> under <see cref="Policy"/>), and what the run has
/// learned so far (the last test outcome, whether <c>finish</c> was called). One per run; its calls
/// are made one at a time.
/// </summary>
public sealed class ToolContext
{
    /// <param name="worktree">The run's private checkout; every path the model gives is relative to it.</param>
    /// <param name="environment">Exactly the environment of every process the tools start.</param>
    public ToolContext(
        string worktree,
        IAgentProcesses processes,
        SandboxPolicy policy,
        IReadOnlyDictionary<string, string> environment,
        CodingToolSettings? settings = null,
        TimeProvider? time = null)
    {
        Paths = new WorktreePaths(worktree);
        Processes = processes;
        Policy = policy;
        Environment = environment;
        Settings = settings ?? new CodingToolSettings();
        Time = time ?? TimeProvider.System;
    }

    public WorktreePaths Paths { get; }

    /// <summary>The worktree's real absolute path (symbolic links resolved).</summary>
    public string Worktree => Paths.Root;

    public IAgentProcesses Processes { get; }

    public SandboxPolicy Policy { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public CodingToolSettings Settings { get; }

    public TimeProvider Time { get; }

    /// <summary>
    /// Counts the calls that may have changed files (edits, created files, shell commands), so that a
    /// test outcome can be told apart from one that predates the last change.
    /// </summary>
    public long Changes { get; private set; }

    /// <summary>The outcome of the last <c>run_tests</c>, null when it was never called.</summary>
    public TestRun? LastTests { get; private set; }

    /// <summary>True when the last <c>run_tests</c> passed and no call since may have changed a file.</summary>
    public bool TestsPassedOnLatestChange => LastTests is { Outcome: TestOutcome.Passed } t && t.AtChange == Changes;

    /// <summary>The model's summary once it called <c>finish</c>; the run ends then.</summary>
    public string? FinishSummary { get; private set; }

    public bool Finished => FinishSummary is not null;

    internal void NoteChange() => Changes++;

    internal void RecordTests(TestOutcome outcome, string? command, int? exitCode) =>
        LastTests = new TestRun(outcome, command, exitCode, Changes);

    internal void RecordFinish(string summary) => FinishSummary = summary;

    /// <summary>A process in the worktree, with the run's environment, under the run's policy.</summary>
    internal Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, int maxOutputBytes, CancellationToken ct) =>
        Processes.RunAsync(new ProcessSpec(fileName, arguments, Environment, Worktree, Stdin: [], MaxOutputBytes: maxOutputBytes), Policy, ct);

    /// <summary>
    /// Like <see cref="RunAsync"/> for an optional program (git, python3, node): exit code 127 when it
    /// is not installed where the tools run, whichever process runner is in use.
    /// </summary>
    internal Task<ProcessResult> RunIfPresentAsync(string program, IReadOnlyList<string> arguments, int maxOutputBytes, CancellationToken ct) =>
        RunAsync("bash", ["-c", "command -v \"$0\" >/dev/null 2>&1 || exit 127; exec \"$0\" \"$@\"", program, .. arguments], maxOutputBytes, ct);
}

/// <summary>
/// The settings of the tools, from the agent's settings; each has a default. Timeouts bound one call;
/// the sandbox's own limits (<see cref="SandboxLimits"/>) apply on top.
/// </summary>
public sealed record CodingToolSettings
{
    /// <summary>The repository's test command (run with <c>bash -lc</c>); null means detect it (docs/coding-agent.md).</summary>
    public string? TestCommand { get; init; }

    /// <summary>run_shell's timeout when the model gives none.</summary>
    public TimeSpan ShellTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The most run_shell's <c>timeout_seconds</c> may ask for.</summary>
    public TimeSpan MaxShellTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>run_tests' timeout.</summary>
    public TimeSpan TestTimeout { get; init; } = TimeSpan.FromMinutes(15);
}

public enum TestOutcome
{
    NotRun,
    Passed,
    Failed,
}

/// <param name="Command">The command that ran; null when none was configured or detected.</param>
/// <param name="ExitCode">Null when the tests did not run.</param>
/// <param name="AtChange">The value of <see cref="ToolContext.Changes"/> when they ran.</param>
public sealed record TestRun(TestOutcome Outcome, string? Command, int? ExitCode, long AtChange);
