using AgentFactory.Sandbox;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Sandbox;

/// <summary>
/// The network from inside: an allowlisted host is reachable with ordinary tools (curl through
/// HTTP_PROXY / HTTPS_PROXY, which the in-sandbox socat forwards to the job's egress socket); any other
/// host is refused by the proxy and unreachable directly; no `network` setting means no network at all.
/// </summary>
public sealed class SandboxNetworkTests : IAsyncLifetime
{
    private readonly SandboxWorld _world = new();
    private readonly ListLogger<EgressProxy> _log = new();
    private EgressProxy _proxy = null!;
    private Origin _allowed = null!;
    private Origin _other = null!;

    public async Task InitializeAsync()
    {
        _allowed = await Origin.StartAsync("allowed");
        _other = await Origin.StartAsync("other");
        _proxy = new EgressProxy(_log);
    }

    private string AllowedUrl => $"http://127.0.0.1:{_allowed.BaseUrl.Port}/";
    private string OtherUrl => $"http://127.0.0.1:{_other.BaseUrl.Port}/";

    [ToolFact("bwrap", "socat", "curl")]
    public async Task An_allowlisted_host_is_reachable_through_the_proxy_with_curl()
    {
        var policy = _world.Policy(network: [new HostPort("127.0.0.1", _allowed.BaseUrl.Port)]);

        var result = await new BubblewrapProcesses(_proxy).RunAsync(_world.Script("curl -sS -m 20 \"$1\"", AllowedUrl), policy, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("allowed", result.Output);
        Assert.Single(_allowed.Requests);
    }

    [ToolFact("bwrap", "socat", "curl")]
    public async Task Attack_reaching_a_host_not_on_the_allowlist_fails_through_the_proxy_and_directly()
    {
        var policy = _world.Policy(network: [new HostPort("127.0.0.1", _allowed.BaseUrl.Port)]);

        var result = await new BubblewrapProcesses(_proxy).RunAsync(_world.Script("""
            curl -s -m 20 "$1"; echo " [proxied $?]"
            curl -s -m 20 -p "$1"; echo " [tunnelled $?]"
            curl -s -m 20 --noproxy '*' "$1" && echo "LEAK direct"
            curl -s -m 20 -x '' https://example.com/ && echo "LEAK internet"
            echo done
            """, OtherUrl), policy, CancellationToken.None);

        Assert.DoesNotContain("LEAK", result.Output);
        Assert.Contains("is not in this agent's network allowlist", result.Output);
        Assert.Contains("[tunnelled 56]", result.Output); // curl: CONNECT answered 403
        Assert.Empty(_other.Requests);
        Assert.Contains(_log.Entries, e => e.Message.Contains("Egress refused for job 7", StringComparison.Ordinal) && e.Message.Contains($"127.0.0.1:{_other.BaseUrl.Port}", StringComparison.Ordinal));
    }

    [ToolFact("bwrap", "curl")]
    public async Task Without_a_network_setting_there_is_no_proxy_and_no_way_out()
    {
        var result = await new BubblewrapProcesses(_proxy).RunAsync(_world.Script("""
            env | grep -i proxy && echo "LEAK proxy variables"
            [ -e /run/agentfactory-egress ] && echo "LEAK egress socket"
            curl -s -m 20 -x http://127.0.0.1:3128 "$1" && echo "LEAK through a proxy port"
            curl -s -m 20 "$1" && echo "LEAK direct"
            echo done
            """, AllowedUrl), _world.Policy(), CancellationToken.None);

        Assert.DoesNotContain("LEAK", result.Output);
        Assert.Contains("done", result.Output);
        Assert.Empty(_allowed.Requests);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _allowed.DisposeAsync();
        await _other.DisposeAsync();
        _world.Dispose();
    }
}
