using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AgentFactory.Sandbox;

/// <summary>
/// One client connection to the egress proxy: read the request head, decide, then either tunnel
/// (CONNECT) or forward one plain-HTTP request, connecting to an address the proxy resolved itself.
/// </summary>
internal sealed class EgressConnection(Socket client, EgressLease lease, EgressProxyOptions options, ILogger logger)
{
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
        { "Host", "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate", "TE", "Upgrade" };

    public async Task RunAsync(CancellationToken ct)
    {
        using var _ = client;
        try
        {
            var (head, rest) = await ReadHeadAsync(ct);
            if (head is null) { await RefuseAsync(400, "Bad Request", "the request head is missing, too large or too slow"); return; }
            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                await RefuseAsync(400, "Bad Request", "only HTTP/1.x proxy requests are accepted (HTTPS through CONNECT)");
                return;
            }
            var (method, target) = (parts[0], parts[1]);
            var connect = method == "CONNECT";
            if (Destination(connect, target, lines) is not { } destination)
            {
                await RefuseAsync(403, "Forbidden", $"'{Printable(target)}' is not a host:port this proxy can check (use CONNECT host:port for HTTPS, an http:// URI for plain HTTP)", Printable(target));
                return;
            }
            if (!lease.Allowlist.Contains(destination))
            {
                await RefuseAsync(403, "Forbidden", $"{destination} is not in this agent's network allowlist; add it to the agent's `network` setting if the job needs it", destination.ToString());
                return;
            }
            var (upstream, why) = await ConnectAsync(destination, ct);
            if (upstream is null) { await RefuseAsync(502, "Bad Gateway", why!, destination.ToString()); return; }
            using var __ = upstream;
            EgressProxy.LogAllowed(logger, lease.JobId, destination.ToString(), upstream.RemoteEndPoint?.ToString() ?? "?");

            await using var clientStream = new NetworkStream(client, ownsSocket: false);
            await using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
            if (connect) await clientStream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), ct);
            else await upstreamStream.WriteAsync(OriginRequest(method, target, parts[2], lines, destination), ct);
            if (rest.Length > 0) await upstreamStream.WriteAsync(rest, ct);
            await PumpAsync(clientStream, upstreamStream, ct);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client or the upstream went away, or the job ended: the tunnel just closes.
        }
    }

    /// <summary>Answers with a plain-text reason and closes; every refusal is logged with the job id.</summary>
    public async Task RefuseAsync(int status, string phrase, string reason, string target = "-")
    {
        EgressProxy.LogRefused(logger, lease.JobId, target, reason);
        var body = Encoding.UTF8.GetBytes($"Agent Factory egress proxy (job {lease.JobId}): {reason}.\n");
        var head = $"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        try
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(head));
            await client.SendAsync(body);
            client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        finally { if (status == 503) client.Dispose(); }
    }

    /// <summary>CONNECT's authority, or a plain request's absolute URI (else its Host header), as host:port.</summary>
    private static HostPort? Destination(bool connect, string target, string[] lines)
    {
        if (connect) return Normalise(HostPort.TryParse(target));
        if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            return Uri.TryCreate(target, UriKind.Absolute, out var uri) && uri.UserInfo.Length == 0 && uri.HostNameType is UriHostNameType.Dns or UriHostNameType.IPv4
                ? Normalise(HostPort.TryParse($"{uri.Host}:{uri.Port}")) : null;
        if (!target.StartsWith('/')) return null;
        var host = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Host:", StringComparison.OrdinalIgnoreCase))?[5..].Trim();
        if (host is null) return null;
        return Normalise(HostPort.TryParse(host.Contains(':', StringComparison.Ordinal) ? host : host + ":80"));
    }

    private static HostPort? Normalise(HostPort? h) => h is null ? null : h with { Host = h.Host.TrimEnd('.') };

    /// <summary>The request as the origin server expects it: origin-form target, the checked Host, one request per connection.</summary>
    private static byte[] OriginRequest(string method, string target, string version, string[] lines, HostPort destination)
    {
        var path = target.StartsWith('/') ? target : new Uri(target).PathAndQuery;
        var sb = new StringBuilder($"{method} {path} {version}\r\n");
        sb.Append("Host: ").Append(destination.Port == 80 ? destination.Host : destination.ToString()).Append("\r\n");
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (line.Length == 0 || colon <= 0 || HopHeaders.Contains(line[..colon].Trim())) continue;
            sb.Append(line).Append("\r\n");
        }
        sb.Append("Connection: close\r\n\r\n");
        return Encoding.Latin1.GetBytes(sb.ToString());
    }

    /// <summary>
    /// Resolves and connects. An IP literal is used as listed; a name that resolves to a loopback, link-local
    /// or unspecified address is refused (a DNS answer must not turn an allowlisted name into the host's
    /// own services or a cloud metadata endpoint).
    /// </summary>
    private async Task<(Socket? Socket, string? Why)> ConnectAsync(HostPort destination, CancellationToken ct)
    {
        if (options.Routes.TryGetValue(destination, out var route)) return await ConnectRouteAsync(destination, route, ct);
        IPAddress[] addresses;
        if (IPAddress.TryParse(destination.Host, out var literal)) addresses = [literal];
        else
        {
            try { addresses = await options.Resolve(destination.Host, ct); }
            catch (SocketException) { return (null, $"{destination.Host} could not be resolved"); }
            addresses = [.. addresses.Where(a => !Local(a))];
            if (addresses.Length == 0) return (null, $"{destination.Host} resolves only to local or link-local addresses, which a name may not reach (list the IP address itself if that is meant)");
        }
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, destination.Port), timeout.Token);
                return (socket, null);
            }
            catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                socket.Dispose();
            }
        }
        return (null, $"could not connect to {destination}");
    }

    /// <summary>A reserved destination (<see cref="EgressProxyOptions.Routes"/>): the service's own endpoint, never resolved.</summary>
    private static async Task<(Socket? Socket, string? Why)> ConnectRouteAsync(HostPort destination, EndPoint route, CancellationToken ct)
    {
        var socket = new Socket(route.AddressFamily, SocketType.Stream, route is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(route, ct);
            return (socket, null);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return (null, $"the service's endpoint for {destination} is not listening");
        }
    }

    private static bool Local(IPAddress a)
    {
        if (a.IsIPv4MappedToIPv6) a = a.MapToIPv4();
        if (IPAddress.IsLoopback(a) || a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any) || a.IsIPv6LinkLocal || a.IsIPv6Multicast) return true;
        var b = a.GetAddressBytes();
        return a.AddressFamily == AddressFamily.InterNetwork && (b[0] == 0 || (b[0] == 169 && b[1] == 254) || b[0] >= 224);
    }

    private async Task<(string? Head, byte[] Remainder)> ReadHeadAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.HeadTimeout);
        var buffer = new byte[options.MaxHeadBytes];
        var count = 0;
        try
        {
            while (count < buffer.Length)
            {
                var n = await client.ReceiveAsync(buffer.AsMemory(count), timeout.Token);
                if (n == 0) return (null, []);
                count += n;
                var end = buffer.AsSpan(0, count).IndexOf(HeadEnd);
                if (end >= 0) return (Encoding.Latin1.GetString(buffer, 0, end), buffer[(end + 4)..count]);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
        return (null, []);
    }

    private static async Task PumpAsync(NetworkStream a, NetworkStream b, CancellationToken ct)
    {
        var up = CopyThenShutdownAsync(a, b, ct);
        var down = CopyThenShutdownAsync(b, a, ct);
        await Task.WhenAll(up, down);
    }

    private static async Task CopyThenShutdownAsync(NetworkStream from, NetworkStream to, CancellationToken ct)
    {
        try
        {
            await from.CopyToAsync(to, ct);
            to.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            try { to.Socket.Shutdown(SocketShutdown.Both); from.Socket.Shutdown(SocketShutdown.Both); } catch (Exception x) when (x is SocketException or ObjectDisposedException) { }
        }
    }

    private static string Printable(string s) => new([.. s.Take(200).Select(c => char.IsControl(c) ? '?' : c)]);
}
