using System.Text.Json;
using System.Threading.Channels;
using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Models.Gateway;
using AgentFactory.Sandbox;

namespace AgentFactory.Agents.Coding.Cli;

/// <summary>
/// <c>runtime: "cli"</c>: a coding CLI the team already uses (Claude Code, Codex, aider or a command of its
/// own) runs headless in the worktree inside the sandbox. Its model is reached only through the
/// <see cref="ModelGateway"/> with a token valid for this run; its event stream becomes the job's steps as it
/// comes; the wall clock always bounds it, and tokens and cost bound it where the CLI reports them (each
/// report is charged to the shared ledger, and the CLI is stopped when a ceiling is passed). When it exits 0
/// the repository's tests are run on what it left, as for the model runtime.
/// </summary>
public sealed partial class CliRuntime(CliSettings settings, ModelGateway gateway, IBudgetLedger ledger, ILogger<CliRuntime> log,
    IReadOnlyList<IModelCallObserver>? observers = null) : ICodingRuntime
{
    public const int MaxDetail = 2000;

    public string Kind => "cli";

    public CliSettings Settings => settings;

    public async Task<CodingOutcome> RunAsync(CodingTask task, CodingRun run, CancellationToken ct)
    {
        var remaining = run.Deadline - run.Time.GetUtcNow();
        if (remaining <= TimeSpan.Zero) return await EndAsync(run, BudgetKind.WallClock, "The wall-clock budget ended before the coding CLI started.", ct);
        if (await SpentAsync(run, ct) is { } spent) return await EndAsync(run, spent.Budget, spent.Message, ct);

        using var grant = settings.Model is null ? null : await gateway.GrantAsync(task.JobId, settings.Model, run.Deadline, ct);
        var policy = run.Policy with
        {
            // The gateway's name is reachable for this run only; the real key stays with the service.
            Network = grant is null ? run.Policy.Network : [.. run.Policy.Network, ModelGateway.Address],
            Limits = run.Policy.Limits with { WallClock = remaining < run.Policy.Limits.WallClock ? remaining : run.Policy.Limits.WallClock },
        };
        var prompt = CliInvocation.Prompt(task, resumed: run.Resume.Count > 0);
        var turnsLeft = run.Budget.Limits.Turns is { } turns ? Math.Max(1, turns - (await ledger.JobSpendAsync(task.JobId, ct)).Turns) : (int?)null;
        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var spec = CliInvocation.Build(settings, grant, prompt, run.Worktree, run.Environment, turnsLeft) with { OnStdoutLine = line => lines.Writer.TryWrite(line) };

        var stream = CliStream.For(settings.Cli);
        var charges = new Charges(run, ledger, grant?.Model, observers ?? []);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var deadline = new CancellationTokenSource(remaining, run.Time);
        using var onDeadline = deadline.Token.Register(stop.Cancel);
        LogStarting(log, task.JobId, settings.Cli.ToString().ToLowerInvariant(), grant?.Model.Name ?? "none");
        var process = run.Processes.RunAsync(spec, policy, stop.Token);
        _ = process.ContinueWith(_ => lines.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        BudgetExceededException? exceeded = null;
        var edits = 0;
        await foreach (var raw in lines.Reader.ReadAllAsync(CancellationToken.None))
        {
            var line = grant is null ? raw : raw.Replace(grant.Token, "[job token]", StringComparison.Ordinal);
            foreach (var e in stream.Read(line))
            {
                if (await RecordAsync(run, charges, e, ct) is { } refused && exceeded is null)
                {
                    exceeded = refused;
                    await stop.CancelAsync();
                }
                if (e.Edit && ++edits % settings.CheckpointEvery == 0 && exceeded is null) await CheckpointAsync(run, ct);
            }
        }

        ProcessResult? result = null;
        try { result = await process; }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { /* our own stop: a budget or the deadline */ }
        catch (InvalidOperationException e) when (e.Message.StartsWith("Could not start", StringComparison.Ordinal) && settings.Cli != CliKind.Command)
        {
            throw new InvalidOperationException($"{e.Message} Install the coding CLI where the service runs ({CliSettings.Installs[settings.Cli]}) " +
                "or set the agent's \"executable\" setting to its path.", e);
        }
        foreach (var e in stream.Flush())
            if (await RecordAsync(run, charges, e, ct) is { } refused) exceeded ??= refused;

        if (exceeded is not null) return await EndAsync(run, exceeded.Budget, exceeded.Message, ct);
        if (deadline.IsCancellationRequested || result?.Limit == "wall clock")
            return await EndAsync(run, BudgetKind.WallClock, $"The coding CLI was stopped at the wall-clock budget ({Minutes(run.Policy.Limits.WallClock, remaining)}).", ct);
        if (stream.StoppedBy is { } stoppedBy)
            return await EndAsync(run, stoppedBy, $"The coding CLI stopped at the {BudgetExceededException.NameOf(stoppedBy)} budget it was given.", ct);

        var summary = stream.FinalMessage ?? stream.LastText ?? "The coding CLI finished without a final message.";
        if (result!.ExitCode != 0)
        {
            var why = result.Limit is { } limit ? $"was stopped by the sandbox's {limit} limit" : $"exited with code {result.ExitCode}";
            var tail = Tail(grant is null ? result.Output : result.Output.Replace(grant.Token, "[job token]", StringComparison.Ordinal));
            return new CodingOutcome(CodingEnd.Failed, summary, null, TestOutcome.NotRun, Detail: $"The coding CLI ({settings.Cli.ToString().ToLowerInvariant()}) {why}. Its last output:\n{tail}");
        }
        return new CodingOutcome(CodingEnd.Finished, summary, null, await TestAsync(run, ct));
    }

    /// <summary>Records one event's step, its usage charged first; returns the ceiling the charge passed, if any.</summary>
    private static async Task<BudgetExceededException?> RecordAsync(CodingRun run, Charges charges, CliEvent e, CancellationToken ct)
    {
        var (step, refused) = e.Usage is { } usage ? await charges.ChargeAsync(e.Step, usage, ct) : (e.Step, null);
        await run.Steps.RecordAsync(step, ct);
        return refused;
    }

    /// <summary>A ceiling already reached before the CLI starts: this job's turns, tokens or USD, or the repository's day.</summary>
    private async Task<BudgetExceededException?> SpentAsync(CodingRun run, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime(run.Time.GetUtcNow().UtcDateTime);
        var job = await ledger.JobSpendAsync(run.Budget.JobId, ct);
        var repo = await ledger.RepositorySpendAsync(run.Budget.Repository, day, ct);
        var (l, what) = (run.Budget.Limits, $"job {run.Budget.JobId}, before the coding CLI started");
        if (l.Turns is { } turns && job.Turns >= turns) return new(BudgetKind.Turns, turns, job.Turns, 0, what);
        if (l.InputTokens is { } input && job.InputTokens >= input) return new(BudgetKind.InputTokens, input, job.InputTokens, 0, what);
        if (l.OutputTokens is { } output && job.OutputTokens >= output) return new(BudgetKind.OutputTokens, output, job.OutputTokens, 0, what);
        if (l.UsdPerJob is { } usd && job.Usd >= usd) return new(BudgetKind.UsdPerJob, usd, job.Usd, 0, what);
        if (l.UsdPerRepositoryPerDay is { } perDay && repo.Usd >= perDay)
            return new(BudgetKind.UsdPerRepositoryPerDay, perDay, repo.Usd, 0, $"{run.Budget.Repository} on {day:yyyy-MM-dd} UTC");
        return null;
    }

    private static async Task<CodingOutcome> EndAsync(CodingRun run, BudgetKind budget, string message, CancellationToken ct)
    {
        await run.Steps.RecordAsync(new NewJobStep(StepKinds.Note, "budget", Output: message, IsError: true), ct);
        return new CodingOutcome(CodingEnd.BudgetEnded, message, null, TestOutcome.NotRun, budget, message);
    }

    /// <summary>A work-in-progress commit while the CLI works; a failure is noted and the run goes on (the agent makes the last one).</summary>
    private async Task CheckpointAsync(CodingRun run, CancellationToken ct)
    {
        try { await run.Checkpoint(ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCheckpointFailed(log, run.Policy.JobId, e.Message);
            await run.Steps.RecordAsync(new NewJobStep(StepKinds.Note, "checkpoint", Output: $"The work-in-progress commit failed: {e.Message}", IsError: true), ct);
        }
    }

    /// <summary>The repository's tests on what the CLI left, through the same run_tests tool as the model runtime (its own step).</summary>
    private static async Task<TestOutcome> TestAsync(CodingRun run, CancellationToken ct)
    {
        var context = new ToolContext(run.Worktree, run.Processes, run.Policy, run.Environment, run.ToolSettings, run.Time);
        var started = run.Time.GetTimestamp();
        using var none = JsonDocument.Parse("{}");
        var result = await new RunTestsTool().InvokeAsync(none.RootElement, context, ct);
        await run.Steps.RecordAsync(new NewJobStep(StepKinds.Tool, "run_tests", "{}", CliStream.Cut(result.Text, CliStream.MaxOutput), result.IsError, run.Time.GetElapsedTime(started)), ct);
        return context.LastTests?.Outcome ?? TestOutcome.NotRun;
    }

    private static string Tail(string output) => output.Length <= MaxDetail ? output.TrimEnd() : "…" + output[^MaxDetail..].TrimEnd();

    private static string Minutes(TimeSpan sandbox, TimeSpan budget) =>
        $"{Math.Round((budget < sandbox ? budget : sandbox).TotalMinutes, 1).ToString(System.Globalization.CultureInfo.InvariantCulture)} minutes";

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: coding CLI {Cli} starts (model {Model})")]
    private static partial void LogStarting(ILogger logger, long jobId, string cli, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: work-in-progress commit failed: {Reason}")]
    private static partial void LogCheckpointFailed(ILogger logger, long jobId, string reason);

    /// <summary>
    /// What the CLI reports it used goes to the shared ledger, so the job's and the repository's ceilings see it.
    /// The cost is the catalog's prices for the model when set, else what the CLI says it cost. A charge that
    /// passes a ceiling is still recorded (it was spent) and ends the run. Each charge is told to the model call
    /// observers (/metrics) as the model layer tells its own calls.
    /// </summary>
    private sealed class Charges(CodingRun run, IBudgetLedger ledger, ModelSpec? model, IReadOnlyList<IModelCallObserver> observers)
    {
        public async Task<(NewJobStep Step, BudgetExceededException? Refused)> ChargeAsync(NewJobStep step, CliUsage usage, CancellationToken ct)
        {
            var usd = model?.Prices is not null ? model.Cost(usage.InputTokens, usage.OutputTokens) : usage.CostUsd;
            var charge = new BudgetCharge(usage.InputTokens, usage.OutputTokens, usd);
            BudgetExceededException? refused = null;
            BudgetReservation reservation;
            try { reservation = await ledger.ReserveAsync(run.Budget, charge, run.Time.GetUtcNow(), ct); }
            catch (BudgetExceededException e)
            {
                refused = e;
                reservation = await ledger.ReserveAsync(run.Budget with { Limits = BudgetLimits.None }, charge, run.Time.GetUtcNow(), ct);
            }
            await ledger.SettleAsync(reservation, charge, ct);
            var call = new ModelCall(model?.Name ?? "cli", model?.ModelId ?? "cli", run.Budget.JobId, run.Budget.Repository, usage.InputTokens, usage.OutputTokens,
                usd, UsageEstimated: false, step.Duration, ModelCallOutcome.Completed, FinishReason: null);
            foreach (var observer in observers) observer.Observed(call);
            return (step with { InputTokens = usage.InputTokens, OutputTokens = usage.OutputTokens, CostUsd = usd }, refused);
        }
    }
}
