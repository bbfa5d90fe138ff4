namespace AgentFactory.Dashboard;

/// <summary>
/// Wires the admin surface: /dashboard, /api/* and /metrics, all behind the admin token, with
/// browser security headers, and — when ADMIN_URLS is set — answered only on the admin address.
/// </summary>
public static class AdminSurface
{
    /// <summary>Marks an endpoint as part of the admin surface (port gate and security headers).</summary>
    public sealed class Marker
    {
        public static readonly Marker Instance = new();
    }

    public static IServiceCollection AddAdminSurface(this IServiceCollection services, DashboardSettings settings)
    {
        services.AddSingleton(settings);
        services.AddAdminAuth(settings);
        services.AddSingleton<QueueStats>();
        services.AddSingleton<DashboardFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<DashboardFeed>());
        return services;
    }

    /// <summary>Routing, then the port gate (before authentication, so the public address reveals nothing), then auth and anti-forgery.</summary>
    public static WebApplication UseAdminSurface(this WebApplication app, DashboardSettings settings)
    {
        app.UseRouting();
        app.Use((http, next) =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<Marker>() is null) return next(http);
            if (settings.AdminPorts.Count > 0 && !settings.AdminPorts.Contains(http.Connection.LocalPort))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
                                            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-cache, no-store"; // what antiforgery sets too, so it need not override (and warn)
            return next(http);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    /// <summary>Maps the page and the API; <paramref name="metrics"/> is the /metrics endpoint, put behind the same token.</summary>
    public static WebApplication MapAdminSurface(this WebApplication app, IEndpointConventionBuilder? metrics)
    {
        app.MapDashboardPages().WithMetadata(Marker.Instance);
        app.MapAdminApi().WithMetadata(Marker.Instance);
        metrics?.RequireAuthorization(AdminAuth.Policy).WithMetadata(Marker.Instance);
        return app;
    }
}
