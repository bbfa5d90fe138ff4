using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace AgentFactory.Models.Gateway;

/// <summary>
/// The gateway's listener: Kestrel on the private Unix socket, every request checked and then forwarded by
/// YARP's forwarder (response streamed as it arrives, never buffered). What it forwards, per provider:
/// Anthropic's POST /v1/messages and /v1/messages/count_tokens; OpenAI's POST /v1/responses and
/// /v1/chat/completions and GET /v1/models. Everything else is refused, and so is a request whose token
/// is not a live grant.
/// </summary>
internal sealed class GatewayServer : IAsyncDisposable
{
    private static readonly string[] CredentialHeaders = ["x-api-key", "Authorization", "api-key", "Cookie", "Proxy-Authorization"];

    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _upstream;

    private GatewayServer(WebApplication app, HttpMessageInvoker upstream) => (_app, _upstream) = (app, upstream);

    public static async Task<GatewayServer> StartAsync(ModelGateway gateway, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = gateway.Options.MaxRequestBytes;
            k.ListenUnixSocket(gateway.SocketPath);
        });
        var app = builder.Build();
#pragma warning disable CA2000 // owned by the GatewayServer, disposed with it
        var upstream = new HttpMessageInvoker(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        });
#pragma warning restore CA2000
        var server = new GatewayServer(app, upstream);
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        app.Run(context => server.HandleAsync(context, gateway, forwarder));
        await app.StartAsync(ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(gateway.SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return server;
    }

    private async Task HandleAsync(HttpContext context, ModelGateway gateway, IHttpForwarder forwarder)
    {
        var request = context.Request;
        var grant = gateway.Find(TokenOf(request));
        if (grant is null)
        {
            await RefuseAsync(context, gateway, 401, "authentication_error", "-",
                "the token is not valid: it is not a token of a running job (the run ended, or the token was never issued)");
            return;
        }
        var jobId = grant.JobId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (UpstreamPath(grant.Model.Provider, request.Method, request.Path.Value ?? "") is not { } path)
        {
            await RefuseAsync(context, gateway, 404, "not_found_error", jobId,
                $"{request.Method} {request.Path} is not a model endpoint this gateway forwards for provider {grant.Model.Provider.ToString().ToLowerInvariant()}");
            return;
        }
        if (!await PinModelAsync(context, grant.Model))
        {
            await RefuseAsync(context, gateway, 413, "request_too_large", jobId, $"the request body is larger than {gateway.Options.MaxRequestBytes} bytes or not JSON");
            return;
        }

        var destination = grant.Model.BaseUrl.AbsoluteUri.TrimEnd('/');
        var config = new ForwarderRequestConfig { ActivityTimeout = grant.Model.Timeout };
        var transformer = new KeyTransformer(grant.Model, gateway.Catalog.KeyFor(grant.Model.Name), path);
        var error = await forwarder.SendAsync(context, destination, _upstream, config, transformer);
        if (error != ForwarderError.None && !context.Response.HasStarted)
            await RefuseAsync(context, gateway, 502, "api_error", jobId, $"model {grant.Model.Name} at {grant.Model.BaseUrl.Host} could not be reached ({error})");
    }

    /// <summary>The CLI's token: x-api-key (Anthropic's SDKs) or Authorization: Bearer (OpenAI's, Claude Code's ANTHROPIC_AUTH_TOKEN).</summary>
    private static string? TokenOf(HttpRequest request)
    {
        if (request.Headers["x-api-key"].ToString() is { Length: > 0 } key) return key.Trim();
        var auth = request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
    }

    /// <summary>The path on the model's base URL, or null when the request is not one the gateway forwards.</summary>
    internal static string? UpstreamPath(ModelProvider provider, string method, string path) => (provider, method, path) switch
    {
        // Anthropic's base URL is the API root: the path is kept.
        (ModelProvider.Anthropic, "POST", "/v1/messages" or "/v1/messages/count_tokens") => path,
        // An OpenAI-compatible base URL ends in /v1 (or the server's own prefix): the path after /v1 is appended.
        (ModelProvider.OpenAI, "POST", "/v1/responses" or "/v1/chat/completions") => path[3..],
        (ModelProvider.OpenAI, "GET", "/v1/models") => path[3..],
        _ => null,
    };

    /// <summary>
    /// Every call goes to the configured model, whatever the CLI names (its background calls to a smaller
    /// model included): the job's prices and limits are that model's. False when the body is too large or not JSON.
    /// </summary>
    private static async Task<bool> PinModelAsync(HttpContext context, ModelSpec model)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method)) return true;
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException) { return false; }
        JsonNode? json;
        try { json = JsonNode.Parse(body); }
        catch (System.Text.Json.JsonException) { return false; }
        if (json is JsonObject o && o["model"] is not null)
        {
            o["model"] = model.ModelId;
            body = System.Text.Encoding.UTF8.GetBytes(o.ToJsonString());
        }
        request.Body = new MemoryStream(body);
        request.Headers.Remove("Transfer-Encoding");
        request.ContentLength = body.Length;
        return true;
    }

    private static async Task RefuseAsync(HttpContext context, ModelGateway gateway, int status, string type, string jobId, string reason)
    {
        ModelGateway.LogRefused(gateway.Log, context.Request.Method, context.Request.Path.Value ?? "", jobId, reason);
        context.Response.StatusCode = status;
        // One body both providers' clients read: Anthropic's error.type and error.message, OpenAI's error.message.
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject { ["type"] = type, ["message"] = $"Agent Factory model gateway: {reason}." },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    /// <summary>Drops every credential the client sent and adds the model's real key, in its provider's header.</summary>
    private sealed class KeyTransformer(ModelSpec model, string? key, string path) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            foreach (var header in CredentialHeaders) proxyRequest.Headers.Remove(header);
            proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, new PathString(path), httpContext.Request.QueryString);
            proxyRequest.Headers.Host = null;
            if (key is null) return;
            if (model.Provider == ModelProvider.Anthropic) proxyRequest.Headers.Add("x-api-key", key);
            else proxyRequest.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            // A streamed answer is passed on as it comes: no response buffering anywhere on the way.
            httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            return base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }
    }
}
