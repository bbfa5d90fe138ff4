using System.Net;
using System.Net.Sockets;
using System.Text;
using AgentFactory.Sandbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Sandbox;

/// <summary>The egress proxy spoken to directly over a job's Unix socket, as the in-sandbox forwarder does.</summary>
public sealed class EgressProxyTests : IAsyncLifetime
{
    private readonly ListLogger<EgressProxy> _log = new();
    private EgressProxy _proxy = null!;
    private Origin _allowed = null!;
    private Origin _other = null!;

    public async Task InitializeAsync()
    {
        _allowed = await Origin.StartAsync("allowed");
        _other = await Origin.StartAsync("other");
        _proxy = new EgressProxy(_log, new EgressProxyOptions
        {
            // "internal.test" stands for a name whose DNS answer points at the host itself.
            Resolve = (name, ct) => name == "internal.test" ? Task.FromResult(new[] { IPAddress.Loopback }) : Dns.GetHostAddressesAsync(name, ct),
        });
    }

    private HostPort Allowed => new("127.0.0.1", _allowed.BaseUrl.Port);

    [Fact]
    public async Task A_plain_http_request_to_an_allowlisted_host_is_forwarded_with_its_host_checked()
    {
        await using var lease = _proxy.Open(11, [Allowed]);

        var answer = await SendAsync(lease, $"GET http://{Allowed}/hello?x=1 HTTP/1.1\r\nHost: evil.example\r\nProxy-Authorization: Basic c2VjcmV0\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200", answer);
        Assert.EndsWith("allowed", answer);
        var request = Assert.Single(_allowed.Requests);
        Assert.Equal("/hello", request.Path);
        Assert.Equal("?x=1", request.Query);
    }

    [Fact]
    public async Task A_connect_tunnel_to_an_allowlisted_host_carries_the_conversation()
    {
        await using var lease = _proxy.Open(12, [Allowed]);
        using var socket = await ConnectAsync(lease);
        await using var stream = new NetworkStream(socket);

        await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {Allowed} HTTP/1.1\r\nHost: {Allowed}\r\n\r\n"));
        var established = await ReadUntilAsync(stream, "\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /through HTTP/1.1\r\nHost: {Allowed}\r\nConnection: close\r\n\r\n"));
        var answer = Encoding.ASCII.GetString(await ReadToEndAsync(stream));

        Assert.StartsWith("HTTP/1.1 200 Connection established", established);
        Assert.EndsWith("allowed", answer);
    }

    [Theory]
    [InlineData("CONNECT {other} HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://{other}/ HTTP/1.1\r\nHost: {allowed}\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: {other}\r\n\r\n")]
    [InlineData("CONNECT 2130706433:{port} HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 0x7f.1:{port} HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT [::1]:{port} HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://user@{allowed}/ HTTP/1.1\r\n\r\n")]
    public async Task Attack_reaching_a_host_not_on_the_allowlist_is_refused_with_a_reason_and_logged(string request)
    {
        await using var lease = _proxy.Open(13, [Allowed]);
        var other = new HostPort("127.0.0.1", _other.BaseUrl.Port);

        var answer = await SendAsync(lease, request.Replace("{other}", other.ToString(), StringComparison.Ordinal)
            .Replace("{allowed}", Allowed.ToString(), StringComparison.Ordinal).Replace("{port}", Allowed.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        Assert.StartsWith("HTTP/1.1 403", answer);
        Assert.Contains("job 13", answer);
        Assert.Empty(_other.Requests);
        Assert.Empty(_allowed.Requests);
        Assert.Contains(_log.Entries, e => e.Message.StartsWith("Egress refused for job 13", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Attack_an_allowlisted_name_resolving_to_loopback_is_refused()
    {
        var name = new HostPort("internal.test", _allowed.BaseUrl.Port);
        await using var lease = _proxy.Open(14, [name]);

        var answer = await SendAsync(lease, $"CONNECT {name} HTTP/1.1\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 502", answer);
        Assert.Contains("local", answer);
        Assert.Empty(_allowed.Requests);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n\r\n")]
    [InlineData("GET https://example.com/ HTTP/1.1\r\n\r\n")]
    [InlineData("GET / HTTP/2.0\r\n\r\n")]
    public async Task Anything_but_an_http_proxy_request_is_refused(string request)
    {
        await using var lease = _proxy.Open(15, [Allowed]);

        var answer = await SendAsync(lease, request);

        Assert.Matches("^HTTP/1.1 40[03]", answer);
    }

    [Fact]
    public async Task Closing_the_lease_removes_its_socket()
    {
        var lease = _proxy.Open(16, [Allowed]);
        Assert.True(File.Exists(lease.SocketPath));

        await lease.DisposeAsync();

        Assert.False(Directory.Exists(lease.Directory));
    }

    private static async Task<Socket> ConnectAsync(EgressLease lease)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(lease.SocketPath));
        return socket;
    }

    private static async Task<string> SendAsync(EgressLease lease, string request)
    {
        using var socket = await ConnectAsync(lease);
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        return Encoding.UTF8.GetString(await ReadToEndAsync(stream));
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer).WaitAsync(TimeSpan.FromSeconds(30));
        return buffer.ToArray();
    }

    private static async Task<string> ReadUntilAsync(Stream stream, string end)
    {
        var sb = new StringBuilder();
        var one = new byte[1];
        while (!sb.ToString().EndsWith(end, StringComparison.Ordinal) && await stream.ReadAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(30)) == 1)
            sb.Append((char)one[0]);
        return sb.ToString();
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _allowed.DisposeAsync();
        await _other.DisposeAsync();
    }
}

/// <summary>A web server on loopback that answers every path with its own name.</summary>
internal sealed class Origin(string name) : Support.Fakes.FakeServer
{
    public static async Task<Origin> StartAsync(string name)
    {
        var origin = new Origin(name);
        await origin.ListenAsync();
        return origin;
    }

    protected override void Map(WebApplication app) => app.MapGet("/{**path}", () => Results.Text(name));
}
