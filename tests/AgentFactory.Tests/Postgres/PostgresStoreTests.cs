using System.Net;
using System.Net.Sockets;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Queue.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentFactory.Tests.Postgres;

/// <summary>What only the PostgreSQL store has: coalesced completions, NOTIFY/LISTEN wake-ups, connection failures as StoreUnavailableException.</summary>
public sealed class PostgresStoreTests : IAsyncLifetime
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private TestDatabase _db = null!;
    private PostgresJobStore _store = null!;

    public async Task InitializeAsync()
    {
        _db = await (await PostgresServer.Shared).CreateDatabaseAsync();
        _store = new PostgresJobStore(_db.ConnectionString, TimeProvider.System, new QueueSignal());
        await _store.MigrateAsync(Ct);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _db.DisposeAsync();
    }

    [PostgresFact]
    public async Task Concurrent_completions_share_statements_and_each_caller_gets_its_own_answer()
    {
        for (var i = 0; i < 200; i++) await _store.EnqueueAsync(new NewJob("t", "{}"), Ct);
        var jobs = await _store.ClaimAsync("w", 200, TimeSpan.FromMinutes(5), Ct);
        var before = _store.CompletionBatches;

        var valid = jobs.Select(j => Task.Run(() => _store.CompleteAsync(j.Lease, "ok " + j.Id, Ct))).ToList();
        var stale = jobs.Take(50).Select(j => Task.Run(() => _store.CompleteAsync(j.Lease with { Owner = "intruder" }, "stale", Ct))).ToList();

        Assert.All(await Task.WhenAll(valid), Assert.True);
        Assert.All(await Task.WhenAll(stale), Assert.False);
        var statements = _store.CompletionBatches - before;
        Assert.True(statements < valid.Count + stale.Count, $"{statements} statements for {valid.Count + stale.Count} completions");
        var rows = await _store.ListJobsAsync(new JobQuery(Limit: 1000), Ct);
        Assert.All(rows, r => Assert.Equal((JobStatus.Completed, "ok " + r.Id), (r.Status, r.Output)));
    }

    [PostgresFact]
    public async Task Behind_a_transaction_pooler_the_listener_stands_down_instead_of_failing()
    {
        var url = $"postgresql://postgres@127.0.0.1:{PostgresConnectionString.TransactionPoolerPort}/{_db.Name}";
        await using var store = new PostgresJobStore(url, TimeProvider.System, new QueueSignal());
        var listener = new PostgresChangeListener(store, new QueueSignal(), new AgentFactoryOptions { DatabaseUrl = url },
            TimeProvider.System, NullLogger<PostgresChangeListener>.Instance);
        // It returns at once instead of retrying a LISTEN that a transaction pooler cannot keep.
        await listener.WatchAsync(Ct).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(listener.Listening);
    }

    [PostgresFact]
    public async Task An_unreachable_server_is_reported_as_store_unavailable_with_the_reason()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        await using var store = new PostgresJobStore($"postgresql://u:hunter2@127.0.0.1:{port}/db", TimeProvider.System, new QueueSignal());
        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CountJobsByStatusAsync(Ct));
        Assert.Contains("cannot be reached", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.EnqueueAsync(new NewJob("t", "{}"), Ct));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CompleteAsync(new JobLease(1, "w", 1), null, Ct));
    }

    [PostgresFact]
    public async Task A_payload_postgresql_refuses_for_a_reason_the_check_does_not_know_fails_only_its_own_delivery()
    {
        // Not JSON at all: StorableJson looks only for what jsonb refuses in JSON, so PostgreSQL is the one to refuse it.
        static AgentFactory.Events.NewWebhookEvent Event(string id, string payload) => new(id, "1", "push", null, "o/r", payload);
        var results = await _store.RecordDeliveriesAsync(
        [
            new DeliveryRecord(Event("a", "{}"), [new NewJob("x", "{}")]),
            new DeliveryRecord(Event("bad", "{not json"), [new NewJob("x", "{}")]),
            new DeliveryRecord(Event("b", "{}"), [new NewJob("x", "{}")]),
        ], Ct);
        Assert.Null(results[0].Refused);
        Assert.Contains("PostgreSQL cannot store this payload (22P02", results[1].Refused, StringComparison.Ordinal);
        Assert.Null(results[2].Refused);
        Assert.Equal(2, (await _store.ListJobsAsync(new JobQuery(), Ct)).Count);
    }

    private static async Task Until(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition()) await Task.Delay(10, deadline.Token);
    }
}
