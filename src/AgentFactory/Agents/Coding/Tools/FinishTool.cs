namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// <c>finish(summary)</c>: the model says it is done. The summary (non-empty, at most
/// <see cref="MaxSummary"/> characters) is recorded in <see cref="ToolContext.FinishSummary"/>; the
/// agent ends the run after this call and puts the summary in the pull request.
/// </summary>
public sealed class FinishTool : CodingTool
{
    public const int MaxSummary = 10_000;

    public override string Name => "finish";

    public override string Description =>
        "End the task. Call it once the change is complete and the tests were run (run_tests) after your last edit. " +
        "The summary goes into the pull request: say what you changed, why, and how it was tested. Nothing can be done after finish.";

    public override string ParametersSchema => """
        {
          "type": "object",
          "properties": {
            "summary": { "type": "string", "description": "What was changed and why, and how it was tested (a few sentences or a short list; Markdown)." }
          },
          "required": ["summary"],
          "additionalProperties": false
        }
        """;

    protected override Task<ToolResult> RunAsync(ToolArguments args, ToolContext context, CancellationToken ct)
    {
        var summary = args.RequiredText("summary", "a few sentences saying what you changed and how you tested it").Trim();
        if (summary.Length > MaxSummary)
            return Task.FromResult(ToolResult.Error($"The summary is {summary.Length} characters long; keep it under {MaxSummary} (what changed, why, how it was tested) and call finish again."));
        context.RecordFinish(summary);
        return Task.FromResult(ToolResult.Ok("Finished. The service commits your changes and opens or updates the pull request with your summary.", "finished: " + summary));
    }
}
