using System.Net;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Dashboard;

/// <summary>ADMIN_URLS: the admin surface lives only on the admin address; webhooks and health stay public.</summary>
public sealed class AdminAddressTests
{
    [Fact]
    public async Task With_admin_urls_the_dashboard_api_and_metrics_are_404_on_the_public_port_and_served_on_the_admin_port()
    {
        await using var service = await TestService.StartAsync(adminUrls: $"http://127.0.0.1:{Support.Cli.FreePort()}");
        Assert.NotEqual(service.Http.BaseAddress!.Port, service.Admin.BaseAddress!.Port);

        foreach (var path in new[] { "/dashboard", "/dashboard/login", "/dashboard/assets/app.js", "/api/stats", "/api/jobs", "/metrics" })
        {
            // The public port says nothing, not even "log in" — with or without the token.
            using var anonymous = await service.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
            using var withToken = new HttpRequestMessage(HttpMethod.Get, path);
            withToken.Headers.Authorization = service.Admin.DefaultRequestHeaders.Authorization;
            Assert.Equal(HttpStatusCode.NotFound, (await service.Http.SendAsync(withToken)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await service.Admin.GetAsync("/dashboard")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Admin.GetAsync("/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Admin.GetAsync("/metrics")).StatusCode);

        using var anonymousAdmin = new HttpClient { BaseAddress = service.Admin.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymousAdmin.GetAsync("/api/stats")).StatusCode); // still authenticated there

        Assert.Equal(HttpStatusCode.OK, (await service.Http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await service.Http.SendAsync(service.Manual())).StatusCode);
    }

    [Fact]
    public async Task A_spoofed_host_header_does_not_reach_the_admin_surface_on_the_public_port()
    {
        await using var service = await TestService.StartAsync(adminUrls: $"http://127.0.0.1:{Support.Cli.FreePort()}");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
        request.Headers.Host = $"127.0.0.1:{service.Admin.BaseAddress!.Port}";
        request.Headers.Authorization = service.Admin.DefaultRequestHeaders.Authorization;
        Assert.Equal(HttpStatusCode.NotFound, (await service.Http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Without_admin_urls_everything_is_on_the_main_address_and_still_authenticated()
    {
        await using var service = await TestService.StartAsync();
        Assert.Equal(service.Http.BaseAddress, service.Admin.BaseAddress);
        Assert.Equal(HttpStatusCode.OK, (await service.Admin.GetAsync("/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await service.Http.GetAsync("/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await service.Http.GetAsync("/metrics")).StatusCode);
    }
}
