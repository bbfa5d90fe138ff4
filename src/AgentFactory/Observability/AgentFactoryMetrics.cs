using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using AgentFactory.Jobs;
using AgentFactory.Routing;

namespace AgentFactory.Observability;

/// <summary>
/// The service's metrics (System.Diagnostics.Metrics, meter "AgentFactory"), exported at /metrics in
/// Prometheus format and, when OTEL_EXPORTER_OTLP_ENDPOINT is set, over OTLP. The job_type label is
/// bounded: a job type the routing file names (a "jobs" key or a route's jobType) and "manual" keep
/// their own series; every other one (anything a manual trigger may invent) is counted as "other".
/// The agent and model labels of the model-call metrics are bounded the same way: names the routing
/// file configures (agents, the jobs' agents, models, "default") keep theirs, anything else is "other".
/// </summary>
public sealed class AgentFactoryMetrics : IDisposable
{
    public const string MeterName = "AgentFactory";

    /// <summary>The job_type label of job types the routing file does not name.</summary>
    public const string OtherJobType = "other";

    /// <summary>The agent or model label of a name the routing file does not configure (or a call made outside a job).</summary>
    public const string OtherLabel = "other";

    private readonly FrozenSet<string> _knownJobTypes;
    private readonly FrozenSet<string> _knownAgents;
    private readonly FrozenSet<string> _knownModels;

    private readonly Meter _meter;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _jobs;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _startDelay;
    private readonly Counter<long> _gitSync;
    private readonly Counter<long> _modelTokens;
    private readonly Counter<double> _modelCost;
    private readonly Counter<long> _modelCalls;
    private IReadOnlyDictionary<JobStatus, long> _depth = new Dictionary<JobStatus, long>();

    public AgentFactoryMetrics(IMeterFactory meters, RoutingConfig? routing = null)
    {
        routing ??= new RoutingConfig();
        _knownJobTypes = KnownJobTypes(routing).ToFrozenSet(StringComparer.Ordinal);
        _knownAgents = routing.Agents.Keys.Concat(routing.Jobs.Values.Select(j => j.Agent)).Append(JobTypeSettings.Default.Agent).ToFrozenSet(StringComparer.Ordinal);
        _knownModels = routing.Models.Keys.Append(Models.ModelCatalog.DefaultName).ToFrozenSet(StringComparer.Ordinal);
        _meter = meters.Create(MeterName);
        _deliveries = _meter.CreateCounter<long>("agentfactory.deliveries", "{delivery}", "Webhook deliveries by event and outcome.");
        _jobs = _meter.CreateCounter<long>("agentfactory.jobs", "{attempt}", "Finished job attempts by job type and outcome.");
        _duration = _meter.CreateHistogram<double>("agentfactory.job.duration", "s", "How long one attempt ran.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600] });
        _startDelay = _meter.CreateHistogram<double>("agentfactory.job.start_delay", "s", "From when a job was due to when an agent started it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300] });
        _gitSync = _meter.CreateCounter<long>("agentfactory.git_sync", "{sync}", "git pull results of the orchestrator's working copy.");
        _modelTokens = _meter.CreateCounter<long>("agentfactory.model.tokens", "{token}", "Tokens of model calls by agent, model and direction (input, output).");
        _modelCost = _meter.CreateCounter<double>("agentfactory.model.cost_usd", "{USD}", "Cost of model calls in US dollars by agent and model (calls to models without prices add 0).");
        _modelCalls = _meter.CreateCounter<long>("agentfactory.model.calls", "{call}", "Model calls by agent, model and outcome (completed, truncated, malformed_tool_call, failed).");
        _meter.CreateObservableGauge("agentfactory.queue.depth", () => _depth.Select(d =>
            new Measurement<long>(d.Value, new KeyValuePair<string, object?>("status", d.Key.ToDb()))), "{job}", "Jobs in the queue by status.");
    }

    public void Delivery(string eventType, string outcome) =>
        _deliveries.Add(1, new("event", eventType), new("outcome", outcome));

    public void JobFinished(string jobType, string outcome, TimeSpan duration)
    {
        var label = JobTypeLabel(jobType);
        _jobs.Add(1, new("job_type", label), new("outcome", outcome));
        _duration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("job_type", label));
    }

    public void JobStarted(string jobType, TimeSpan delay) =>
        _startDelay.Record(Math.Max(0, delay.TotalSeconds), new KeyValuePair<string, object?>("job_type", JobTypeLabel(jobType)));

    /// <summary>The job type itself when the routing file names it (or it is "manual"), else <see cref="OtherJobType"/>.</summary>
    public string JobTypeLabel(string jobType) => _knownJobTypes.Contains(jobType) ? jobType : OtherJobType;

    private static IEnumerable<string> KnownJobTypes(RoutingConfig routing) =>
        routing.Jobs.Keys.Where(k => k != RoutingConfig.AnyJobType)
            .Concat(routing.Routes.Select(r => r.JobType.Length > 0 ? r.JobType : r.Event == "*" ? "" : "github_" + r.Event))
            .Where(t => t.Length > 0)
            .Append("manual");

    /// <summary>One model call's tokens, cost and outcome under its agent's and model's labels.</summary>
    public void ModelCall(string agent, Models.ModelCall call)
    {
        KeyValuePair<string, object?> a = new("agent", AgentLabel(agent)), m = new("model", ModelLabel(call.Model));
        _modelCalls.Add(1, a, m, new("outcome", call.Outcome switch
        {
            Models.ModelCallOutcome.Completed => "completed",
            Models.ModelCallOutcome.Truncated => "truncated",
            Models.ModelCallOutcome.MalformedToolCall => "malformed_tool_call",
            _ => "failed",
        }));
        if (call.InputTokens > 0) _modelTokens.Add(call.InputTokens, a, m, new("direction", "input"));
        if (call.OutputTokens > 0) _modelTokens.Add(call.OutputTokens, a, m, new("direction", "output"));
        _modelCost.Add((double)(call.Usd ?? 0m), a, m);
    }

    /// <summary>The agent's name when the routing file configures it (or it is the built-in default), else <see cref="OtherLabel"/>.</summary>
    public string AgentLabel(string agent) => _knownAgents.Contains(agent) ? agent : OtherLabel;

    /// <summary>The model's catalog name when the routing file (or LLM_MODEL, as "default") configures it, else <see cref="OtherLabel"/>.</summary>
    public string ModelLabel(string model) => _knownModels.Contains(model) ? model : OtherLabel;

    public void GitSync(string result) => _gitSync.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Refreshed by <see cref="QueueDepthSampler"/>; read when metrics are collected.</summary>
    public void QueueDepth(IReadOnlyDictionary<JobStatus, long> counts) => _depth = counts;

    public void Dispose() => _meter.Dispose();
}
