using AgentFactory.Events;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Postgres;

namespace AgentFactory.Tests.Queue;

/// <summary>ITriggerRefusalStore: why a delivery started no agent work, kept on its webhook_events row (docs/security.md).</summary>
public abstract partial class StoreContractTests
{
    [StoreFact]
    public async Task A_refusal_recorded_at_ingest_is_on_the_event_row_and_makes_no_job()
    {
        var refused = Event("r1") with { TriggerRefusal = "github_issue: not started: the sender evil[bot] is a bot" };
        var result = await Store.RecordDeliveryAsync(refused, [], Ct);

        var ev = Assert.Single(await Store.ListEventsAsync(new EventQuery(), Ct));
        Assert.Equal(result.EventId, ev.Id);
        Assert.False(ev.ConvertedToJob);
        Assert.Equal("github_issue: not started: the sender evil[bot] is a bot", ev.TriggerRefusal);
        Assert.Empty(await Store.ListJobsAsync(new JobQuery(), Ct));
    }

    [StoreFact]
    public async Task A_delivery_with_nothing_refused_has_no_refusal()
    {
        await Store.RecordDeliveryAsync(Event("r2"), [new NewJob("x", "{}")], Ct);
        Assert.Null(Assert.Single(await Store.ListEventsAsync(new EventQuery(), Ct)).TriggerRefusal);
    }

    [StoreFact]
    public async Task Refusals_from_the_orchestrator_join_the_row_one_line_each_and_never_twice()
    {
        var result = await Store.RecordDeliveryAsync(Event("r3") with { TriggerRefusal = "a: not started: fork" }, [new NewJob("b", "{}")], Ct);

        await Store.RecordTriggerRefusalAsync(result.EventId, "b: not started: reader", Ct);
        await Store.RecordTriggerRefusalAsync(result.EventId, "b: not started: reader", Ct); // the same attempt refused again after a lost lease
        await Store.RecordTriggerRefusalAsync(result.EventId + 1000, "gone", Ct); // no such row: nothing happens

        var ev = Assert.Single(await Store.ListEventsAsync(new EventQuery(), Ct));
        Assert.Equal("a: not started: fork\nb: not started: reader", ev.TriggerRefusal);
    }

    [StoreFact]
    public async Task A_refusal_on_a_row_without_one_becomes_its_first_line()
    {
        var result = await Store.RecordDeliveryAsync(Event("r4"), [new NewJob("b", "{}")], Ct);
        await Store.RecordTriggerRefusalAsync(result.EventId, "b: not started: reader", Ct);
        Assert.Equal("b: not started: reader", Assert.Single(await Store.ListEventsAsync(new EventQuery(), Ct)).TriggerRefusal);
    }

    [StoreFact]
    public async Task GetEventType_names_the_delivery_and_null_for_no_row()
    {
        var result = await Store.RecordDeliveryAsync(Event("r5", type: "issue_comment"), [], Ct);
        Assert.Equal("issue_comment", await Store.GetEventTypeAsync(result.EventId, Ct));
        Assert.Null(await Store.GetEventTypeAsync(result.EventId + 1000, Ct));
    }
}
