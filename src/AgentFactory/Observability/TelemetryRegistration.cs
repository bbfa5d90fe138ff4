using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;

namespace AgentFactory.Observability;

public static class TelemetryRegistration
{
    /// <summary>
    /// Metrics for /metrics (Prometheus) always; OTLP export of metrics and logs when the standard
    /// OTEL_EXPORTER_OTLP_ENDPOINT variable is set (Grafana, Datadog, Honeycomb, Sentry's OTLP intake…).
    /// </summary>
    public static IServiceCollection AddAgentFactoryTelemetry(this IServiceCollection services, bool prometheus, bool otlp)
    {
        services.AddMetrics();
        services.AddSingleton<AgentFactoryMetrics>();
        services.AddSingleton<JobAgents>();
        services.AddSingleton<Models.IModelCallObserver, ModelCallMetrics>(); // model tokens and cost by agent and model
        services.AddHostedService<QueueDepthSampler>();
        services.AddOpenTelemetry().WithMetrics(m =>
        {
            m.AddMeter(AgentFactoryMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
            if (prometheus) m.AddPrometheusExporter();
            if (otlp) m.AddOtlpExporter();
        });
        if (otlp) services.AddLogging(l => l.AddOpenTelemetry(o => o.AddOtlpExporter()));
        return services;
    }
}
