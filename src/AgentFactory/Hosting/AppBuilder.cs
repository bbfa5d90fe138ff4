using AgentFactory.Dashboard;
using AgentFactory.Ingest;
using AgentFactory.Options;
using Microsoft.AspNetCore.HttpOverrides;

namespace AgentFactory.Hosting;

/// <summary>Builds the process for a set of roles: a web app when it ingests, a plain host for a lone orchestrator.</summary>
public static class AppBuilder
{
    public const string DefaultUrl = "http://localhost:8000";

    /// <remarks>
    /// The admin surface (/dashboard, /api/*, /metrics behind the admin token, on ADMIN_URLS when set) is
    /// served when <see cref="ServiceSettings.Dashboard"/> is set; null leaves it out, e.g. for `migrate`.
    /// </remarks>
    public static IHost Build(ServiceSettings settings, Roles roles, string? urls, Action<IServiceCollection>? configure = null)
    {
        var options = settings.Options;
        var dashboard = settings.Dashboard;
        if (!roles.HasFlag(Roles.Webhook))
        {
            var hostBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            hostBuilder.Services.AddSystemd(); // before logging, so LOG_FORMAT=json wins over the journal format
            hostBuilder.Logging.AddAgentFactoryLogging(options);
            hostBuilder.Services.AddAgentFactory(settings, roles);
            configure?.Invoke(hostBuilder.Services);
            return hostBuilder.Build();
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Services.AddSystemd(); // before logging, so LOG_FORMAT=json wins over the journal format
        builder.Logging.AddAgentFactoryLogging(options);
        var listen = urls ?? settings.Environment.Get("ASPNETCORE_URLS") ?? DefaultUrl;
        if (dashboard is { AdminUrls.Count: > 0 }) listen += ";" + string.Join(";", dashboard.AdminUrls);
        builder.WebHost.UseUrls(listen);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = AgentFactoryOptions.MaxWebhookBodyBytes;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            // Kestrel's default, stated because ingest relies on it: a body slower than 240 bytes/s (after a
            // 5 s grace) is cut off with 408, so a slow sender holds only the little of the body budget it sent.
            k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(240, TimeSpan.FromSeconds(5));
        });
        builder.Services.AddAgentFactory(settings, roles);
        if (dashboard is not null) builder.Services.AddAdminSurface(dashboard);
        configure?.Invoke(builder.Services);

        builder.Services.Configure<ForwardedHeadersOptions>(f =>
        {
            // Only a proxy on this host (nginx → 127.0.0.1:8000) is believed about the client's address.
            f.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            f.ForwardLimit = 1;
        });

        var app = builder.Build();
        app.UseForwardedHeaders();
        if (dashboard is not null) app.UseAdminSurface(dashboard);
        app.MapWebhookEndpoints();
        app.MapHealthEndpoint();
        if (dashboard is not null) app.MapAdminSurface(metrics: app.MapPrometheusScrapingEndpoint("/metrics"));
        return app;
    }
}
