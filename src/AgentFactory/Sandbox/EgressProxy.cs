using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace AgentFactory.Sandbox;

/// <summary>Tuning of the egress proxy; the defaults suit package registries and deploy hosts.</summary>
public sealed record EgressProxyOptions
{
    /// <summary>Where the per-job socket directories are made (each private, mode 0700); default: the system temp directory.</summary>
    public string? SocketRoot { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a client may take to send its request head.</summary>
    public TimeSpan HeadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxHeadBytes { get; init; } = 16 * 1024;

    /// <summary>Open connections one job may hold at once; more are answered 503.</summary>
    public int MaxConnectionsPerJob { get; init; } = 64;

    /// <summary>
    /// Reserved destinations the proxy connects to a fixed local endpoint instead of resolving them: the
    /// service's own endpoints for sandboxes (the model gateway). Still only for a job whose allowlist lists them.
    /// </summary>
    public IReadOnlyDictionary<HostPort, EndPoint> Routes { get; init; } = new Dictionary<HostPort, EndPoint>();

    /// <summary>Name resolution; the proxy resolves and connects itself, so a sandbox never picks the address.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = Dns.GetHostAddressesAsync;
}

/// <summary>
/// The only way out of a sandbox. Each job gets its own Unix socket (so the job's identity is the socket
/// it came through, not anything it says), bound into its sandbox, where socat exposes it as
/// 127.0.0.1:port for HTTP_PROXY / HTTPS_PROXY. HTTPS goes through CONNECT with host:port checked
/// against the job's allowlist; plain HTTP by its absolute-form URI or Host header; everything else is
/// refused with a 403 that says why, and logged with the job id.
/// </summary>
public sealed partial class EgressProxy(ILogger<EgressProxy> logger, EgressProxyOptions? options = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<EgressLease, byte> _leases = new();

    internal EgressProxyOptions Options { get; } = options ?? new EgressProxyOptions();

    internal ILogger Logger => logger;

    /// <summary>Starts listening for one job. Dispose the lease when the job's process has ended: it closes every tunnel.</summary>
    public EgressLease Open(long jobId, IReadOnlyList<HostPort> allowlist)
    {
        var directory = Options.SocketRoot is { } root
            ? CreatePrivateDirectory(root, jobId)
            : Directory.CreateTempSubdirectory($"af-egress-{jobId}-").FullName;
        var lease = new EgressLease(this, jobId, allowlist, directory);
        _leases[lease] = 0;
        return lease;
    }

    internal void Closed(EgressLease lease) => _leases.TryRemove(lease, out _);

    public async ValueTask DisposeAsync()
    {
        foreach (var lease in _leases.Keys) await lease.DisposeAsync();
    }

    private static string CreatePrivateDirectory(string root, long jobId)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("The sandbox runs on Linux only.");
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = Path.Combine(root, $"job-{jobId}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Egress refused for job {JobId}: {Target} ({Reason})")]
    internal static partial void LogRefused(ILogger logger, long jobId, string target, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Egress for job {JobId} to {Target} via {Address}")]
    internal static partial void LogAllowed(ILogger logger, long jobId, string target, string address);
}

/// <summary>One job's listening socket. <see cref="Directory"/> is what the sandbox binds.</summary>
public sealed class EgressLease : IAsyncDisposable
{
    private readonly EgressProxy _proxy;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private readonly Task _acceptLoop;
    private int _disposed;

    internal EgressLease(EgressProxy proxy, long jobId, IReadOnlyList<HostPort> allowlist, string directory)
    {
        _proxy = proxy;
        JobId = jobId;
        Allowlist = allowlist.Select(h => new HostPort(h.Host.ToLowerInvariant().TrimEnd('.'), h.Port)).ToHashSet();
        Directory = directory;
        SocketPath = Path.Combine(directory, BubblewrapArguments.EgressSocketName);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _listener.Listen(64);
        _acceptLoop = AcceptLoopAsync();
    }

    public long JobId { get; }

    public IReadOnlySet<HostPort> Allowlist { get; }

    /// <summary>The private host directory holding the socket.</summary>
    public string Directory { get; }

    public string SocketPath { get; }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            var connection = new EgressConnection(client, this, _proxy.Options, _proxy.Logger);
            if (_connections.Count >= _proxy.Options.MaxConnectionsPerJob)
            {
                _ = connection.RefuseAsync(503, "Service Unavailable", $"too many open connections (at most {_proxy.Options.MaxConnectionsPerJob} per job)");
                continue;
            }
            var task = connection.RunAsync(_stop.Token);
            _connections[task] = 0;
            _ = task.ContinueWith(t => _connections.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        await Task.WhenAll(_connections.Keys);
        _stop.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _proxy.Closed(this);
    }
}
