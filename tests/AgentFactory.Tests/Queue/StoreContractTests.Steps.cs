using AgentFactory.Jobs;
using AgentFactory.Tests.Postgres;

namespace AgentFactory.Tests.Queue;

/// <summary>IStepStore: the jobs' transcripts.</summary>
public abstract partial class StoreContractTests
{
    [StoreFact]
    public async Task Steps_are_numbered_per_job_across_attempts_and_read_back_in_order()
    {
        var id = await Enqueue();
        await Enqueue();
        var first = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
        Assert.Equal(1, await Store.AppendStepAsync(first.Lease, new NewJobStep(StepKinds.Model, "gpt", "prompt", "reply", InputTokens: 120, OutputTokens: 30, CostUsd: 0.00012345m), Ct));
        Assert.Equal(2, await Store.AppendStepAsync(first.Lease, new NewJobStep(StepKinds.Tool, "view_file", "{\"path\":\"a.cs\"}", "1: x", Duration: TimeSpan.FromMilliseconds(12), CallId: "call_1"), Ct));
        Assert.True(await Store.FailAsync(first.Lease, new JobFailure("boom", null, Time.GetUtcNow()), Ct));

        var second = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct), j => j.Id == id);
        Assert.Equal(3, await Store.AppendStepAsync(second.Lease, new NewJobStep(StepKinds.Tool, "run_shell", "{}", "exit 1", IsError: true), Ct));

        var steps = await Store.ListStepsAsync(id, 0, 100, Ct);
        Assert.Equal([1, 2, 3], steps.Select(s => s.Index));
        Assert.Equal([1, 1, 2], steps.Select(s => s.Attempt));
        var model = steps[0];
        Assert.Equal((StepKinds.Model, "gpt", "prompt", "reply", 120L, 30L, 0.00012345m), (model.Kind, model.Name, model.Input, model.Output, model.InputTokens, model.OutputTokens, model.CostUsd));
        Assert.Equal(Time.GetUtcNow(), model.At);
        Assert.Equal(("call_1", TimeSpan.FromMilliseconds(12), false), (steps[1].CallId, steps[1].Duration, steps[1].IsError));
        Assert.True(steps[2].IsError);
        Assert.Null(steps[2].CostUsd);
        Assert.Equal([2, 3], (await Store.ListStepsAsync(id, 1, 100, Ct)).Select(s => s.Index));
        Assert.Equal([1], (await Store.ListStepsAsync(id, 0, 1, Ct)).Select(s => s.Index));
    }

    [StoreFact]
    public async Task A_stale_worker_cannot_add_steps_to_a_job_it_lost()
    {
        var id = await Enqueue();
        var job = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
        Assert.Null(await Store.AppendStepAsync(job.Lease with { Attempt = 9 }, new NewJobStep(StepKinds.Note, "x"), Ct));
        Assert.Null(await Store.AppendStepAsync(job.Lease with { Owner = "other" }, new NewJobStep(StepKinds.Note, "x"), Ct));
        Assert.True(await Store.CancelJobAsync(id, Ct));
        Assert.Null(await Store.AppendStepAsync(job.Lease, new NewJobStep(StepKinds.Note, "x"), Ct));
        Assert.Empty(await Store.ListStepsAsync(id, 0, 100, Ct));
    }

    [StoreFact]
    public async Task Usage_sums_the_model_turns_tokens_and_exact_cost_of_a_job()
    {
        Assert.Equal(JobUsage.None, await Store.GetJobUsageAsync(12345, Ct));
        await Enqueue();
        var job = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
        for (var i = 0; i < 3; i++)
            await Store.AppendStepAsync(job.Lease, new NewJobStep(StepKinds.Model, "m", InputTokens: 1000, OutputTokens: 10, CostUsd: 0.1m), Ct);
        await Store.AppendStepAsync(job.Lease, new NewJobStep(StepKinds.Tool, "run_tests"), Ct);
        Assert.Equal(new JobUsage(4, 3, 3000, 30, 0.3m), await Store.GetJobUsageAsync(job.Id, Ct));
    }

    [StoreFact]
    public async Task A_job_deleted_by_retention_takes_its_steps_with_it()
    {
        await Enqueue();
        var job = Assert.Single(await Store.ClaimAsync("w", 1, Lease, Ct));
        await Store.AppendStepAsync(job.Lease, new NewJobStep(StepKinds.Note, "x"), Ct);
        Assert.True(await Store.CompleteAsync(job.Lease, null, Ct));
        Time.Advance(TimeSpan.FromDays(10));
        Assert.True(await Store.PruneAsync(Time.GetUtcNow() - TimeSpan.FromDays(1), DateTimeOffset.MinValue, Ct) >= 1);
        Assert.Empty(await Store.ListStepsAsync(job.Id, 0, 100, Ct));
    }
}
