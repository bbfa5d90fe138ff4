using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFactory.Dashboard;
using AgentFactory.Jobs;
using AgentFactory.Queue;

namespace AgentFactory.Cli;

/// <summary>
/// `jobs show N`: the job as JSON, with its usage (steps, model turns, tokens, USD) when it has steps.
/// `--steps` prints the transcript instead, one step at a time and the totals (`--json` for the same as
/// JSON: the job, `usage` and `steps`, with the steps' full text).
/// </summary>
public static class JobShowCommand
{
    /// <summary>Steps read from the store per query while printing a long transcript.</summary>
    private const int Batch = 500;

    public static Command Create()
    {
        var id = CliNumbers.JobId("The job id.");
        var steps = new Option<bool>("--steps") { Description = "Print the job's transcript: every model turn and tool call, with tokens and cost." };
        var after = CliNumbers.WholeNumber("--after", "With --steps: only steps after this index (0 to 2147483647).", 0, 0, int.MaxValue);
        var limit = CliNumbers.WholeNumber("--limit", "With --steps: at most this many steps, 1 to 100000.", 10_000, 1, 100_000);
        var json = new Option<bool>("--json") { Description = "Print JSON (the default without --steps); with --steps: the job, usage and steps, full text." };
        var show = new Command("show", "Show one job: payload, every attempt's error, output, usage; --steps for its transcript.") { id, steps, after, limit, json };
        show.SetAction((parse, ct) => QueueCommands.WithStore(async (store, _) =>
        {
            var jobId = parse.GetValue(id);
            var job = await store.GetJobAsync(jobId, ct);
            if (job is null) return await QueueCommands.NotFound(jobId);
            var usage = StepViews.Usage(await store.GetJobUsageAsync(jobId, ct));
            var detail = JsonSerializer.SerializeToNode(QueueCommands.Detail(job), CliJson.Pretty)!.AsObject();
            if (usage.Steps > 0 || parse.GetValue(steps)) detail["usage"] = JsonSerializer.SerializeToNode(usage, CliJson.Pretty);
            if (!parse.GetValue(steps))
            {
                if (parse.GetValue(after) != 0 || parse.GetResult(limit) is { Implicit: false })
                {
                    await Console.Error.WriteLineAsync("--after and --limit choose steps: use them with --steps (agentfactory jobs show N --steps --after 40).");
                    return ExitCodes.Usage;
                }
                Console.WriteLine(detail.ToJsonString(CliJson.Pretty));
                return ExitCodes.Ok;
            }

            var redactor = StepsPrinter.Redactor();
            if (parse.GetValue(json))
            {
                var list = new JsonArray();
                await foreach (var step in ReadAsync(store, jobId, parse.GetValue(after), parse.GetValue(limit), ct))
                    list.Add(JsonSerializer.SerializeToNode(StepViews.Step(step, redactor), CliJson.Pretty));
                detail["steps"] = list;
                Console.WriteLine(detail.ToJsonString(CliJson.Pretty));
                return ExitCodes.Ok;
            }

            var width = StepsPrinter.Width();
            Console.WriteLine(StepsPrinter.Header(job));
            var printed = 0;
            await foreach (var step in ReadAsync(store, jobId, parse.GetValue(after), parse.GetValue(limit), ct))
            {
                if (printed++ == 0) Console.WriteLine(StepsPrinter.ColumnTitles);
                foreach (var line in StepsPrinter.Lines(StepViews.Step(step, redactor), width)) Console.WriteLine(line);
            }
            if (printed == 0) Console.WriteLine(usage.Steps == 0 ? "No steps: this job's agent does not keep a transcript, or it has not started." : $"No steps after {parse.GetValue(after)}.");
            Console.WriteLine(StepsPrinter.UsageLine(usage));
            return ExitCodes.Ok;
        }));
        return show;
    }

    private static async IAsyncEnumerable<JobStep> ReadAsync(IStepStore store, long jobId, int after, int limit, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var left = limit;
        while (left > 0)
        {
            var page = await store.ListStepsAsync(jobId, after, Math.Min(Batch, left), ct);
            foreach (var step in page) yield return step;
            if (page.Count < Math.Min(Batch, left)) yield break;
            left -= page.Count;
            after = page[^1].Index;
        }
    }
}
