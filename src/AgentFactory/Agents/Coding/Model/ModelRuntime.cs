using System.Text.Json;
using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Jobs;
using AgentFactory.Models;
using Microsoft.Extensions.AI;

namespace AgentFactory.Agents.Coding.Model;

/// <summary>
/// <c>runtime: "model"</c>: any model of the catalog in a tool loop over <see cref="CodingTools"/>, until it calls
/// <c>finish</c> or a budget ends. Every call goes through the model layer's budgeted client (turns, tokens and
/// USD reserved on the shared ledger before it is sent; the context window checked). What the model can fix
/// (a malformed tool call, a cut reply, an unknown tool, a bad argument) goes back to it as a tool error, at
/// most <see cref="MaxReplyErrors"/> times in a row; what it cannot (the endpoint still down after the model
/// layer's retries) checkpoints the work and throws, so the job's retry resumes from the transcript.
/// </summary>
public sealed partial class ModelRuntime(ModelClient model, ModelRuntimeSettings settings, ILogger<ModelRuntime> log) : ICodingRuntime
{
    public const int MaxReplyErrors = 3;
    public const int MaxSilentReplies = 2;

    public string Kind => "model";

    public async Task<CodingOutcome> RunAsync(CodingTask task, CodingRun run, CancellationToken ct)
    {
        var context = new ToolContext(run.Worktree, run.Processes, run.Policy, run.Environment, run.ToolSettings, run.Time);
        var conversation = new Conversation(CoderPrompt.System, CoderPrompt.Task(task), settings.KeepToolResults);
        if (run.Resume.Count > 0)
        {
            conversation.Resume(run.Resume);
            conversation.AddNote(CoderPrompt.Resumed);
        }
        using var chat = model.ChatFor(run.Budget);
        var options = new ChatOptions { Tools = Declarations, ToolMode = ChatToolMode.Auto, AllowMultipleToolCalls = true };
        var (errors, silent) = (0, 0);
        string? lastText = null;
        // The plan for the pull request: the model is asked to state one before it starts (a resumed run keeps the first one).
        var plan = conversation.Messages.Where(m => m.Role == ChatRole.Assistant).Select(m => m.Text).FirstOrDefault(t => t.Length > 0);

        while (!context.Finished)
        {
            if (run.Time.GetUtcNow() >= run.Deadline)
                return await EndAsync(run, context, BudgetKind.WallClock, "The wall-clock budget ended; the work so far is kept.", ct);

            ChatResponse response;
            var started = run.Time.GetTimestamp();
            using var deadline = new CancellationTokenSource(Clamp(run.Deadline - run.Time.GetUtcNow()), run.Time);
            using var turn = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
            try
            {
                response = await chat.GetResponseAsync(conversation.Messages, options, turn.Token);
                errors = 0;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return await EndAsync(run, context, BudgetKind.WallClock, "The wall-clock budget ended during a model call; the work so far is kept.", ct);
            }
            catch (BudgetExceededException e)
            {
                return await EndAsync(run, context, e.Budget, e.Message, ct);
            }
            catch (ModelReplyException e)
            {
                await RecordTurnAsync(run, e.Response, started, e.ToolError, ct);
                if (++errors > MaxReplyErrors)
                    return Failed(context, $"The model's replies could not be used {errors} times in a row; the last: {e.Message}");
                conversation.AddReply(e.Response.Messages);
                var calls = Calls(e.Response);
                if (calls.Count == 0) conversation.AddNote(e.ToolError);
                else conversation.AddResults([.. calls.Select(c => (c.CallId, c.CallId == e.ToolCallId || e.ToolCallId is null ? e.ToolError
                    : "Not run: another call in the same reply could not be used. Call it again.", "refused"))]);
                continue;
            }
            catch (ModelUnavailableException e)
            {
                LogUnavailable(log, task.JobId, e.Message);
                await run.Steps.RecordAsync(new NewJobStep(StepKinds.Note, "model unavailable", Output: e.Message, IsError: true), ct);
                await run.Checkpoint(ct);
                throw;
            }
            catch (ModelRejectedException e)
            {
                throw new PermanentAgentException($"{e.Message} The work so far is kept on branch {task.Branch}.", e);
            }

            await RecordTurnAsync(run, response, started, null, ct);
            conversation.AddReply(response.Messages);
            var toolCalls = Calls(response);
            if (response.Text is { Length: > 0 } said) (lastText, plan) = (said, plan ?? said);
            if (toolCalls.Count == 0)
            {
                // A model that stops calling tools is nudged, then taken at its word: a run never ends in silence.
                if (++silent > MaxSilentReplies) break;
                conversation.AddNote(CoderPrompt.Nudge);
                continue;
            }
            silent = 0;

            var changesBefore = context.Changes;
            var results = new List<(string CallId, string Text, string Excerpt)>();
            var steps = new List<NewJobStep>();
            foreach (var call in toolCalls)
            {
                var (result, step) = await InvokeAsync(call, context, run, ct);
                results.Add((call.CallId, result.Text, $"{call.Name}: {result.Excerpt}"));
                steps.Add(step);
                if (context.Finished) break;
            }
            // The worktree is made durable before its steps are: a resumed run never believes in an edit the branch lacks.
            if (context.Changes != changesBefore) await run.Checkpoint(ct);
            foreach (var step in steps) await run.Steps.RecordAsync(step, ct);
            conversation.AddResults(results);
        }

        var summary = context.FinishSummary ?? lastText ?? "The model stopped without a summary.";
        if (!context.Finished)
            await run.Steps.RecordAsync(new NewJobStep(StepKinds.Note, "stopped", Output: "The model stopped calling tools without calling finish; its last reply is taken as the summary."), ct);
        return new CodingOutcome(CodingEnd.Finished, summary, plan, Tests(context));
    }

    /// <summary>The tools as the model sees them: name, description and the JSON schema of the arguments.</summary>
    public static IList<AITool> Declarations { get; } =
        [.. CodingTools.All.Select(t => (AITool)AIFunctionFactory.CreateDeclaration(t.Name, t.Description, JsonDocument.Parse(t.ParametersSchema).RootElement.Clone()))];

    private static List<FunctionCallContent> Calls(ChatResponse response) =>
        [.. response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()];

    private static async Task<(ToolResult Result, NewJobStep Step)> InvokeAsync(FunctionCallContent call, ToolContext context, CodingRun run, CancellationToken ct)
    {
        var started = run.Time.GetTimestamp();
        var arguments = JsonSerializer.SerializeToElement(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions);
        var tool = CodingTools.Find(call.Name);
        var result = tool is null
            ? ToolResult.Error($"There is no tool named '{call.Name}'. The tools are: {string.Join(", ", CodingTools.All.Select(t => t.Name))}.")
            : await tool.InvokeAsync(arguments, context, ct);
        var step = new NewJobStep(StepKinds.Tool, call.Name, arguments.GetRawText(), Cut(result.Text), result.IsError, run.Time.GetElapsedTime(started), CallId: call.CallId);
        return (result, step);
    }

    private async Task RecordTurnAsync(CodingRun run, ChatResponse response, long started, string? error, CancellationToken ct)
    {
        var usage = response.Usage;
        var (input, output) = (usage?.InputTokenCount ?? 0, usage?.OutputTokenCount ?? 0);
        await run.Steps.RecordAsync(new NewJobStep(StepKinds.Model, model.Spec.Name, Output: error ?? Conversation.Describe(response.Messages), IsError: error is not null,
            Duration: run.Time.GetElapsedTime(started), InputTokens: input, OutputTokens: output, CostUsd: model.Spec.Cost(input, output)), ct);
    }

    private static async Task<CodingOutcome> EndAsync(CodingRun run, ToolContext context, BudgetKind budget, string message, CancellationToken ct)
    {
        await run.Steps.RecordAsync(new NewJobStep(StepKinds.Note, "budget", Output: message, IsError: true), ct);
        return new CodingOutcome(CodingEnd.BudgetEnded, message, null, Tests(context), budget, message);
    }

    private static CodingOutcome Failed(ToolContext context, string detail) => new(CodingEnd.Failed, detail, null, Tests(context), Detail: detail);

    private static TestOutcome Tests(ToolContext context) =>
        context.TestsPassedOnLatestChange ? TestOutcome.Passed : context.LastTests is null ? TestOutcome.NotRun : TestOutcome.Failed;

    private static string Cut(string text) => text.Length <= Conversation.MaxStoredResult ? text
        : string.Concat(text.AsSpan(0, Conversation.MaxStoredResult), $"\n[… {text.Length - Conversation.MaxStoredResult} more characters not stored]");

    private static TimeSpan Clamp(TimeSpan left) => left < TimeSpan.Zero ? TimeSpan.Zero : left > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : left;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the model is unavailable after retries ({Reason}); the job will be retried and resume")]
    private static partial void LogUnavailable(ILogger logger, long jobId, string reason);
}

/// <param name="KeepToolResults">How many recent tool results the model sees in full (older ones shrink to one line).</param>
public sealed record ModelRuntimeSettings(int KeepToolResults = 8);
