using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AgentFactory.Observability;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFactory.Tests.Support;

/// <summary>
/// The agentfactory.deliveries counter of one test service, as "event/outcome" per delivery. It listens
/// only to the meter that service's own IMeterFactory made, so other services running in the same test
/// process (whose counters share the meter's name) never show up here.
/// </summary>
public sealed class DeliveryCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<string> _seen = new();

    public DeliveryCounter(TestService service)
    {
        var factory = service.Host.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Meter.Name == AgentFactoryMetrics.MeterName && instrument.Name == "agentfactory.deliveries")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? eventType = null, outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "event") eventType = tag.Value as string;
                else if (tag.Key == "outcome") outcome = tag.Value as string;
            }
            for (var i = 0; i < value; i++) _seen.Enqueue($"{eventType}/{outcome}");
        });
        _listener.Start();
    }

    /// <summary>Every delivery counted since this counter started, in order.</summary>
    public IReadOnlyList<string> Seen => [.. _seen];

    public void Dispose() => _listener.Dispose();
}
