using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFactory.Events;
using AgentFactory.Tests.Postgres;
using AgentFactory.Tests.Queue;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Ingest;

/// <summary>
/// Each delivery is judged alone. Correctly signed payloads that .NET parses but PostgreSQL's jsonb
/// refuses ("\ud800", 1e999999, …) used to fail the whole group-commit batch they shared: with 400
/// good and 40 such deliveries sent together, 275 good ones got 503 and 3 a 500. Now every good one is
/// stored once and answered 202, every bad one gets a 400 that says why, on either store.
/// </summary>
public sealed class UnstorablePayloadTests
{
    private const int Good = 400;
    private const int Bad = 40;

    /// <summary>A push to the default branch (so it becomes a job) with one extra field: <paramref name="value"/> as JSON text.</summary>
    private static string Push(string field, string value) =>
        "{\"" + field + "\":" + value + "," + Fixtures.Read("push", "push").TrimStart()[1..];

    private static string BadPayload(int i) => i % 7 == 6
        ? "{\"action\":\"\\ud800\"," + Fixtures.Read("push", "push").TrimStart()[1..] // a field routing reads
        : Push("x", StoreContractTests.UnstorablePayloads[i % StoreContractTests.UnstorablePayloads.Length]);

    [PostgresFact]
    public async Task On_postgresql_one_bad_payload_among_many_concurrent_deliveries_is_refused_alone()
    {
        await using var db = await (await PostgresServer.Shared).CreateDatabaseAsync();
        await using var service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook, configure: o => o.DatabaseUrl = db.ConnectionString);
        await SendAndCheckAsync(service);
    }

    [Fact]
    public async Task On_sqlite_the_same_bad_payloads_are_refused_alone_too()
    {
        await using var service = await TestService.StartAsync(roles: AgentFactory.Hosting.Roles.Webhook);
        await SendAndCheckAsync(service);
    }

    private static async Task SendAndCheckAsync(TestService service)
    {
        var sends = Enumerable.Range(0, Good).Select(i => (Good: true, Id: $"good-{i}", Body: Push("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            .Concat(Enumerable.Range(0, Bad).Select(i => (Good: false, Id: $"bad-{i}", Body: BadPayload(i))))
            .ToArray();
        new Random(3).Shuffle(sends);
        var answers = new ConcurrentDictionary<string, (HttpStatusCode Status, JsonObject? Body)>();
        await Parallel.ForEachAsync(sends, new ParallelOptions { MaxDegreeOfParallelism = 48 }, async (send, ct) =>
        {
            using var response = await service.Http.SendAsync(Fixtures.Delivery("push", send.Body, TestService.Secret, send.Id), ct);
            answers[send.Id] = (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonObject>(ct));
        });

        string Summary() => string.Join(", ", answers.Values.GroupBy(a => (int)a.Status).Select(g => $"{g.Key}×{g.Count()}"));
        Assert.DoesNotContain(answers.Values, a => (int)a.Status >= 500);
        foreach (var send in sends)
        {
            var (status, body) = answers[send.Id];
            if (send.Good)
            {
                Assert.True(status == HttpStatusCode.Accepted, $"{send.Id}: {(int)status} {body}; {Summary()}");
                continue;
            }
            Assert.True(status == HttpStatusCode.BadRequest, $"{send.Id}: {(int)status} {body}");
            Assert.Equal("unstorable_payload", body!["error"]!.GetValue<string>());
            var message = body["message"]!.GetValue<string>();
            Assert.Matches("surrogate|number", message);
            Assert.DoesNotContain("backend message", message, StringComparison.Ordinal);
        }
        var events = await service.Store.ListEventsAsync(new EventQuery("push", Limit: 1000), default);
        Assert.Equal(Good, events.Count);
        Assert.Equal(Good, events.Select(e => e.DeliveryId).Distinct().Count());
        Assert.All(events, e => Assert.StartsWith("good-", e.DeliveryId, StringComparison.Ordinal));
        Assert.Equal(Good, (await service.AllJobsAsync()).Count);
    }
}
