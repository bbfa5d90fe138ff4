using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using AgentFactory.Agents;
using AgentFactory.Sandbox;

namespace AgentFactory.Models.Gateway;

/// <summary>Tuning of the model gateway; the defaults suit every coding CLI tested.</summary>
public sealed record ModelGatewayOptions
{
    /// <summary>Where the gateway's private socket directory is made (mode 0700); default: the system temp directory.</summary>
    public string? SocketRoot { get; init; }

    /// <summary>The largest request body forwarded (a long conversation with file contents); larger ones are answered 413.</summary>
    public long MaxRequestBytes { get; init; } = 32L * 1024 * 1024;
}

/// <summary>
/// The service's key-adding endpoint for models (issue 12 item 3): a coding CLI in the sandbox calls its
/// model at <see cref="BaseUrlFor"/> with a per-job token as its API key; the gateway checks the token,
/// puts the model's real key in its place and forwards the request to the model's configured base URL,
/// streaming the answer back unbuffered. The real key never enters a sandbox.
/// </summary>
/// <remarks>
/// The gateway listens on a Unix socket in a private directory, started on the first grant. The sandbox
/// reaches it only through the egress proxy, which routes the reserved name <see cref="Host"/> there
/// (<see cref="EgressProxyOptions.Routes"/>) when the job's allowlist has it: the CLI runtime adds it
/// for its own runs only. A token is valid for one job, one model and while its run lasts (until the
/// grant is disposed, and never past its expiry).
/// </remarks>
public sealed partial class ModelGateway : IAsyncDisposable
{
    /// <summary>The reserved name a sandbox reaches the gateway by, through HTTP_PROXY (plain HTTP: the hop is inside this host).</summary>
    public const string Host = "models.agentfactory.internal";

    public const string TokenPrefix = "afgw-";

    public static readonly HostPort Address = new(Host, 80);

    private readonly ConcurrentDictionary<string, GatewayGrant> _grants = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _starting = new(1, 1);
    private readonly string _directory;
    private GatewayServer? _server;

    public ModelGateway(ModelCatalog catalog, TimeProvider time, ILogger<ModelGateway> log, ModelGatewayOptions? options = null)
    {
        (Catalog, Time, Log, Options) = (catalog, time, log, options ?? new ModelGatewayOptions());
        _directory = PrivateDirectory(Options.SocketRoot);
        SocketPath = Path.Combine(_directory, "gateway.sock");
        EndPoint = new UnixDomainSocketEndPoint(SocketPath);
    }

    internal ModelCatalog Catalog { get; }
    internal TimeProvider Time { get; }
    internal ILogger Log { get; }
    internal ModelGatewayOptions Options { get; }

    /// <summary>Where the gateway listens (once a grant started it); the egress proxy routes <see cref="Address"/> here.</summary>
    public EndPoint EndPoint { get; }

    public string SocketPath { get; }

    /// <summary>The egress proxy's route to this gateway: give it to <see cref="EgressProxyOptions.Routes"/>.</summary>
    public IReadOnlyDictionary<HostPort, EndPoint> Routes => new Dictionary<HostPort, EndPoint> { [Address] = EndPoint };

    /// <summary>
    /// The base URL a CLI in the sandbox is configured with for <paramref name="spec"/>: the root for
    /// Anthropic (the SDKs add /v1/messages), …/v1 for OpenAI-compatible endpoints.
    /// </summary>
    public static Uri BaseUrlFor(ModelSpec spec) =>
        spec.Provider == ModelProvider.Anthropic ? new Uri($"http://{Host}") : new Uri($"http://{Host}/v1");

    /// <summary>
    /// Lets job <paramref name="jobId"/> call model <paramref name="model"/> until the grant is disposed or
    /// <paramref name="expires"/> passes. Starts the gateway's listener on first use.
    /// </summary>
    /// <exception cref="AgentConfigurationException">No model of that name is configured.</exception>
    public async Task<GatewayGrant> GrantAsync(long jobId, string model, DateTimeOffset expires, CancellationToken ct)
    {
        if (!Catalog.TryGet(model, out var spec))
            throw new AgentConfigurationException($"No model named '{model}' is configured for the coding CLI. Define it under \"models\" in the routing file" +
                (model == ModelCatalog.DefaultName ? " or set LLM_MODEL" : "") + ".");
        await EnsureStartedAsync(ct);
        var token = TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var grant = new GatewayGrant(this, Digest(token), token, jobId, spec, expires);
        _grants[grant.Digest] = grant;
        LogGranted(Log, jobId, spec.Name, expires);
        return grant;
    }

    /// <summary>The live grant a token stands for, or null (unknown, revoked or expired).</summary>
    internal GatewayGrant? Find(string? token)
    {
        if (token is null || !token.StartsWith(TokenPrefix, StringComparison.Ordinal)) return null;
        if (!_grants.TryGetValue(Digest(token), out var grant)) return null;
        if (Time.GetUtcNow() < grant.Expires) return grant;
        Revoke(grant);
        return null;
    }

    internal void Revoke(GatewayGrant grant)
    {
        if (_grants.TryRemove(grant.Digest, out _)) LogRevoked(Log, grant.JobId, grant.Model.Name);
    }

    public async ValueTask DisposeAsync()
    {
        _grants.Clear();
        if (_server is not null) await _server.DisposeAsync();
        _starting.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private async Task EnsureStartedAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _server) is not null) return;
        await _starting.WaitAsync(ct);
        try { _server ??= await GatewayServer.StartAsync(this, ct); }
        finally { _starting.Release(); }
    }

    /// <summary>Grants are looked up by a digest of the token, so the table never holds a usable token.</summary>
    private static string Digest(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string PrivateDirectory(string? root)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The model gateway runs on Linux only.");
        if (root is null) return Directory.CreateTempSubdirectory("af-gateway-").FullName;
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(root, Private);
        var path = Path.Combine(root, $"gateway-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(path, Private);
        return path;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model gateway: job {JobId} may call model {Model} until {Expires:O}")]
    private static partial void LogGranted(ILogger logger, long jobId, string model, DateTimeOffset expires);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model gateway: job {JobId}'s token for model {Model} is revoked")]
    private static partial void LogRevoked(ILogger logger, long jobId, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model gateway refused {Method} {Path} (job {JobId}): {Reason}")]
    internal static partial void LogRefused(ILogger logger, string method, string path, string jobId, string reason);
}

/// <summary>
/// One job's right to call one model through the gateway. <see cref="Token"/> is what the CLI sends as
/// its API key; disposing the grant revokes it at once (the run ended).
/// </summary>
public sealed class GatewayGrant : IDisposable
{
    private readonly ModelGateway _gateway;

    internal GatewayGrant(ModelGateway gateway, string digest, string token, long jobId, ModelSpec model, DateTimeOffset expires) =>
        (_gateway, Digest, Token, JobId, Model, Expires) = (gateway, digest, token, jobId, model, expires);

    internal string Digest { get; }

    public string Token { get; }

    public long JobId { get; }

    public ModelSpec Model { get; }

    public DateTimeOffset Expires { get; }

    /// <summary>The base URL to configure the CLI with (see <see cref="ModelGateway.BaseUrlFor"/>).</summary>
    public Uri BaseUrl => ModelGateway.BaseUrlFor(Model);

    public void Dispose() => _gateway.Revoke(this);
}
