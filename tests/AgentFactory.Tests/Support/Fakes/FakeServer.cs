using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>One request a fake received, as sent.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string? Authorization, string Body)
{
    /// <summary>Every request header (names case-insensitive; repeated values joined with ", ").</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// A local stand-in for an external API: Kestrel on 127.0.0.1, a random port, the real wire
/// protocol. It records every request (tests wait on them) and can be told to fail the next
/// matching requests with a given status, headers and body.
/// </summary>
public abstract class FakeServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly List<FailureRule> _failures = [];
    private WebApplication? _app;

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    protected async Task ListenAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            context.Request.Body.Position = 0;
            var request = new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
                context.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null, body)
            {
                Headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            };
            try
            {
                if (TakeFailure(request) is { } rule)
                {
                    context.Response.StatusCode = rule.Status;
                    foreach (var (k, v) in rule.Headers) context.Response.Headers[k] = v;
                    context.Response.ContentType = rule.ContentType;
                    await context.Response.WriteAsync(rule.Body);
                    return;
                }
                await next();
            }
            finally
            {
                _requests.Enqueue(request);
                _arrived.Release();
            }
        });
        Map(_app);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address.TrimEnd('/') + "/");
    }

    protected abstract void Map(WebApplication app);

    /// <summary>The next <paramref name="times"/> requests whose method matches and whose path contains <paramref name="pathContains"/> get this answer.</summary>
    public void Fail(string method, string pathContains, int status, int times = 1, string body = "{}", IReadOnlyDictionary<string, string>? headers = null, string contentType = "application/json")
    {
        lock (_failures) _failures.Add(new FailureRule(method, pathContains, status, body, headers ?? new Dictionary<string, string>(), contentType) { Remaining = times });
    }

    private FailureRule? TakeFailure(RecordedRequest request)
    {
        lock (_failures)
        {
            var rule = _failures.Find(f => f.Remaining > 0 && f.Method == request.Method && request.Path.Contains(f.PathContains, StringComparison.Ordinal));
            if (rule is not null) rule.Remaining--;
            return rule;
        }
    }

    /// <summary>Waits (bounded) until a request matching <paramref name="match"/> has been answered.</summary>
    public async Task<RecordedRequest> WaitForAsync(Func<RecordedRequest, bool> match, TimeSpan? within = null)
    {
        using var deadline = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if (_requests.FirstOrDefault(match) is { } found) return found;
            await _arrived.WaitAsync(deadline.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        _arrived.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed record FailureRule(string Method, string PathContains, int Status, string Body, IReadOnlyDictionary<string, string> Headers, string ContentType)
    {
        public int Remaining { get; set; }
    }
}
