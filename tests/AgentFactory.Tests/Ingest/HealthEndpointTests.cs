using System.Text.Json.Nodes;
using AgentFactory.Events;
using AgentFactory.Ingest;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace AgentFactory.Tests.Ingest;

/// <summary>GET /health's verdicts, one by one, over a store that answers what the test says.</summary>
public sealed class HealthEndpointTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly AgentFactoryOptions _options = new() { TickInterval = TimeSpan.FromSeconds(10) };
    private readonly LogCapture _log = new();

    private async Task<(int Status, JsonObject Body)> CheckAsync(Views store, CancellationToken aborted = default)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider(), RequestAborted = aborted };
        http.Response.Body = new MemoryStream();
        using var logs = LoggerFactory.Create(b => b.AddProvider(_log));
        var result = await HealthEndpoint.CheckAsync(http, store, new StoreInfo("sqlite", "/data/agentfactory.db"), _options, new FakeTimeProvider(Now), logs);
        await result.ExecuteAsync(http);
        http.Response.Body.Position = 0;
        return (http.Response.StatusCode, JsonNode.Parse(http.Response.Body)!.AsObject());
    }

    [Fact]
    public async Task A_live_orchestrator_and_a_reachable_database_are_healthy()
    {
        var (status, body) = await CheckAsync(new Views { Heartbeat = Now.AddSeconds(-12.34), Counts = { [JobStatus.Pending] = 4, [JobStatus.Failed] = 1 } });
        Assert.Equal(200, status);
        Assert.Equal("healthy", (string?)body["status"]);
        Assert.Equal("healthy", (string?)body["database"]!["status"]);
        Assert.Equal("sqlite", (string?)body["database"]!["provider"]);
        Assert.Equal(4, (long)body["queue"]!["pending"]!);
        Assert.Equal(1, (long)body["queue"]!["failed"]!);
        Assert.Equal("ok", (string?)body["orchestrator"]);
        Assert.Equal(12.3, (double)body["last_heartbeat"]!["age_seconds"]!);
        Assert.Equal(Now.AddSeconds(-12.34), (DateTimeOffset)body["last_heartbeat"]!["at"]!);
    }

    [Fact]
    public async Task A_heartbeat_past_three_ticks_is_stale_and_degraded()
    {
        var (status, body) = await CheckAsync(new Views { Heartbeat = Now.AddSeconds(-31) });
        Assert.Equal(200, status);
        Assert.Equal("degraded", (string?)body["status"]);
        Assert.Equal("stale", (string?)body["orchestrator"]);
        Assert.Equal(31, (double)body["last_heartbeat"]!["age_seconds"]!);
    }

    [Fact]
    public async Task No_heartbeat_at_all_is_a_stopped_orchestrator()
    {
        var (status, body) = await CheckAsync(new Views());
        Assert.Equal(200, status);
        Assert.Equal("degraded", (string?)body["status"]);
        Assert.Equal("stopped", (string?)body["orchestrator"]);
        Assert.Null(body["last_heartbeat"]);
    }

    [Fact]
    public async Task An_unreachable_database_is_503_with_its_error_in_the_log_only()
    {
        var (status, body) = await CheckAsync(new Views { Failure = new StoreUnavailableException("could not connect to db.internal:5432") });
        Assert.Equal(503, status);
        Assert.Equal("unhealthy", (string?)body["status"]);
        Assert.Equal("unhealthy", (string?)body["database"]!["status"]);
        Assert.Equal("sqlite", (string?)body["database"]!["provider"]);
        Assert.Equal("The queue database cannot be reached: webhooks are answered 503 until it is back. The service log says why.", (string?)body["message"]);
        Assert.DoesNotContain("db.internal", body.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(["Warning AgentFactory.Ingest: GET /health answered 503: could not connect to db.internal:5432"], _log.Lines);
    }

    [Fact]
    public async Task A_database_that_does_not_answer_in_time_is_503_too()
    {
        var (status, body) = await CheckAsync(new Views { Failure = new OperationCanceledException("the query timed out") });
        Assert.Equal(503, status);
        Assert.Equal("unhealthy", (string?)body["status"]);
    }

    [Fact]
    public async Task A_caller_that_hung_up_gets_no_answer_and_no_warning()
    {
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CheckAsync(new Views { Failure = new OperationCanceledException(aborted.Token) }, aborted.Token));
        Assert.Empty(_log.Lines);
    }

    [Fact]
    public async Task Any_other_failure_is_not_taken_for_an_unreachable_database() =>
        await Assert.ThrowsAsync<InvalidOperationException>(() => CheckAsync(new Views { Failure = new InvalidOperationException("a bug") }));

    private sealed class Views : IOperatorViews
    {
        public DateTimeOffset? Heartbeat { get; init; }
        public Dictionary<JobStatus, long> Counts { get; } = [];
        public Exception? Failure { get; init; }

        public Task<HeartbeatRecord?> GetLastHeartbeatAsync(CancellationToken ct) =>
            Task.FromResult(Heartbeat is { } at ? new HeartbeatRecord("host:1:abc", at, "{}") : null);

        public Task<IReadOnlyDictionary<JobStatus, long>> CountJobsByStatusAsync(CancellationToken ct) =>
            Failure is { } e ? Task.FromException<IReadOnlyDictionary<JobStatus, long>>(e) : Task.FromResult<IReadOnlyDictionary<JobStatus, long>>(Counts);

        public Task<JobRecord?> GetJobAsync(long id, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobQuery query, CancellationToken ct) => throw new NotSupportedException();
        public Task<bool> RetryJobAsync(long id, CancellationToken ct) => throw new NotSupportedException();
        public Task<bool> CancelJobAsync(long id, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<WebhookEventRecord>> ListEventsAsync(EventQuery query, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<JobTypeCount>> CountJobsByTypeAsync(CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<FinishedJobsBucket>> CountFinishedJobsAsync(DateTimeOffset since, TimeSpan bucket, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyDictionary<long, IReadOnlyList<long>>> ListJobIdsByEventAsync(IReadOnlyCollection<long> eventIds, CancellationToken ct) => throw new NotSupportedException();
    }
}
