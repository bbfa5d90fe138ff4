using AgentFactory.Ingest;
using AgentFactory.Jobs;
using AgentFactory.Observability;
using AgentFactory.Queue;

namespace AgentFactory.Dashboard;

/// <summary>
/// GET /api/jobs/{id}/steps?after=K&amp;limit=L: the job's steps with an index above K, oldest first, at
/// most L (1 to <see cref="StepViews.MaxLimit"/>), every text redacted, with the job's usage totals.
/// A page that follows a running job asks with the last index it has and appends what comes back.
/// </summary>
public static class JobStepsEndpoint
{
    public static async Task<IResult> GetAsync(
        long id, string? after, string? limit, IOperatorViews jobs, IStepStore steps, SecretRedactor redactor, CancellationToken ct)
    {
        if (StepViews.ParseQuery(after, limit, out var afterIndex, out var take) is { } problem)
            return Problems.Of(StatusCodes.Status400BadRequest, "bad_query", problem);
        if (await jobs.GetJobAsync(id, ct) is not { } job) return AdminApi.NoJob(id);
        var rows = await steps.ListStepsAsync(id, afterIndex, take, ct);
        var usage = await steps.GetJobUsageAsync(id, ct);
        return AdminApi.Json(new StepsPage(
            id, job.Status.ToDb(), [.. rows.Select(s => StepViews.Step(s, redactor))], rows.Count == take ? rows[^1].Index : null, StepViews.Usage(usage)));
    }
}
