using System.Net.Http.Headers;
using AgentFactory.Dashboard;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Routing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentFactory.Tests.Support;

/// <summary>
/// The real service (Kestrel on 127.0.0.1, a real SQLite file) started in-process for one test.
/// Settings and routing are the ones a user would write; services can be swapped for fakes.
/// </summary>
public sealed class TestService : IAsyncDisposable
{
    public const string Secret = "test-webhook-secret-0123456789";
    public const string Token = "test-manual-token-0123456789";
    public const string AdminToken = "test-admin-token-0123456789";

    private readonly TempDir _dir = new();

    public AgentFactoryOptions Options { get; }
    public IHost Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    /// <summary>A client for the admin surface (the admin address when ADMIN_URLS is set) that sends the admin token.</summary>
    public HttpClient Admin { get; private set; } = null!;

    public DashboardSettings Dashboard { get; private set; } = null!;
    public IJobStore Store => Host.Services.GetRequiredService<IJobStore>();
    public string DataDir => Options.DataDirectory;

    private TestService(AgentFactoryOptions options) => Options = options;

    public static async Task<TestService> StartAsync(
        Roles roles = Roles.Both,
        string? routingJson = null,
        Action<AgentFactoryOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        Func<IJobStore, Task>? seed = null,
        string? adminUrls = null,
        string adminToken = AdminToken,
        HostEnvironment? environment = null)
    {
        var service = new TestService(new AgentFactoryOptions());
        var o = service.Options;
        o.DataDirectory = service._dir.Path;
        o.WebhookSecrets = [Secret];
        o.ManualTriggerToken = Token;
        o.ManualTokenSource = Path.Combine(service._dir.Path, "manual-token");
        o.GitSyncEnabled = false;
        o.LogLevel = "WARNING";
        o.InstanceName = "test-" + Guid.NewGuid().ToString("N")[..6];
        configure?.Invoke(o);
        var routing = RoutingLoader.Parse(routingJson ?? RoutingLoader.DefaultJson(), "test");
        service.Dashboard = DashboardSettingsLoader.Load(
            name => name switch { "ADMIN_TOKEN" => adminToken, "ADMIN_URLS" => adminUrls, _ => null }, o.DataDirectory, createToken: false);
        // The developer's own environment never reaches the service under test (LLM_BASE_URL set at home must not change a test).
        var settings = new ServiceSettings { Options = o, Routing = routing, Dashboard = service.Dashboard, Environment = environment ?? HostEnvironment.Minimal() };
        service.Host = AppBuilder.Build(settings, roles, "http://127.0.0.1:0", s =>
        {
            services?.Invoke(s);
            s.AddSingleton<IWorkerStore>(sp => new SignallingWorkerStore(sp.GetRequiredService<IJobStore>(), service.JobsChanged));
        });
        await service.Store.MigrateAsync(CancellationToken.None);
        if (seed is not null) await seed(service.Store); // rows that exist before the orchestrator starts
        await service.Host.StartAsync();
        var addresses = service.Host.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.Select(a => new Uri(a)).ToList() ?? [];
        var main = addresses.FirstOrDefault(a => !service.Dashboard.AdminPorts.Contains(a.Port)) ?? new Uri("http://127.0.0.1:1");
        service.Http = new HttpClient { BaseAddress = main, Timeout = TimeSpan.FromSeconds(60) };
        service.Admin = new HttpClient { BaseAddress = addresses.FirstOrDefault(a => service.Dashboard.AdminPorts.Contains(a.Port)) ?? main, Timeout = TimeSpan.FromSeconds(60) };
        service.Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        return service;
    }

    public HttpRequestMessage Manual(string? json = null, string? token = Token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/manual");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        return request;
    }

    /// <summary>Waits until the job reaches one of the statuses; the deadline only bounds a broken test.</summary>
    /// <summary>Pulses whenever this service's orchestrator claims a job or writes an outcome.</summary>
    public Pulse JobsChanged { get; } = new();

    /// <summary>Waits until the job reaches one of the statuses, woken by <see cref="JobsChanged"/>; fails the test at the deadline.</summary>
    public Task<JobRecord> WaitForJobAsync(long id, params JobStatus[] statuses) =>
        Wait.ForAsync(async () => await Store.GetJobAsync(id, CancellationToken.None) is { } job && statuses.Contains(job.Status) ? job : null,
            $"job {id} to be {string.Join(" or ", statuses)}", JobsChanged);

    public async Task<IReadOnlyList<JobRecord>> AllJobsAsync() => await Store.ListJobsAsync(new JobQuery(Limit: 1000), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        Admin?.Dispose();
        if (Host is not null)
        {
            await Host.StopAsync();
            Host.Dispose();
        }
        _dir.Dispose();
    }
}
