using System.Net;
using System.Net.Sockets;
using AgentFactory.Sandbox;
using AgentFactory.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Sandbox;

/// <summary>
/// Hostile scripts inside the sandbox try each theft of issue 12 and each way out of the job. Every
/// attempt prints "LEAK ..." when it succeeds; none may.
/// </summary>
public sealed class SandboxConfinementTests : IDisposable
{
    private readonly SandboxWorld _world = new();
    private readonly BubblewrapProcesses _sandbox = new();

    [ToolFact("bwrap")]
    public async Task Attack_reading_the_data_directory_database_env_routing_other_worktree_and_service_proc_fails()
    {
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var attack = _world.Script("""
            try() { if out=$(cat "$1" 2>/dev/null) && [ -n "$out" ]; then echo "LEAK $1: $out"; fi; }
            try "$1/admin-token"; try "$1/agentfactory.db"; try "$2/.env"; try "$2/routing.json"; try "$3/deploy.key"
            ls -A "$1" "$2" "$3" 2>/dev/null | grep -v -e '^$' -e ':$' -e '^worktrees$' -e '^job-7$' -e '^job-8$' | sed 's/^/LEAK listing: /'
            try "/proc/$4/environ"; try "/proc/$4/cmdline"
            for p in /proc/[0-9]*; do grep -q -a "$5" "$p/environ" 2>/dev/null && echo "LEAK environ of $p"; done
            find "$6" \( -name admin-token -o -name .env -o -name deploy.key -o -name '*.db' \) 2>/dev/null | sed 's/^/LEAK found: /'
            echo "processes: $(ls -d /proc/[0-9]* | wc -l)"
            echo done
            """, _world.DataDirectory, _world.ServiceDirectory, _world.OtherWorktree, self, SandboxWorld.Secret, _world.Root);

        var result = await _sandbox.RunAsync(attack, _world.Policy(), CancellationToken.None);
        // The same script outside the sandbox steals everything: the probe can see a leak when there is one.
        var unsandboxed = await new HostProcesses().RunAsync(attack, CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("LEAK", result.Output);
        Assert.DoesNotContain(SandboxWorld.Secret, result.Output);
        Assert.Contains("done", result.Output);
        Assert.Contains($"LEAK {_world.DataDirectory}/admin-token", unsandboxed.Output);
        Assert.Contains($"LEAK {_world.ServiceDirectory}/.env", unsandboxed.Output);
        Assert.Contains($"LEAK /proc/{self}/cmdline", unsandboxed.Output);
    }

    [ToolFact("bwrap")]
    public async Task Attack_writing_outside_the_worktree_fails_and_the_worktree_and_tmp_are_writable()
    {
        var result = await _sandbox.RunAsync(_world.Script("""
            for f in /usr/evil /etc/evil "$1/evil" /var/tmp/evil /run/evil; do
              (echo x > "$f") 2>/dev/null && echo "LEAK wrote $f"
            done
            echo ok > "$2/result.txt" && echo ok > /tmp/scratch && echo wrote
            """, _world.DataDirectory, _world.Worktree), _world.Policy(), CancellationToken.None);

        Assert.DoesNotContain("LEAK", result.Output);
        Assert.Contains("wrote", result.Output);
        Assert.Equal("ok\n", File.ReadAllText(Path.Combine(_world.Worktree, "result.txt")));
        Assert.False(File.Exists(Path.Combine(_world.DataDirectory, "evil")));
    }

    [ToolFact("bwrap")]
    public async Task Attack_reading_the_services_environment_gets_only_the_specs_variables()
    {
        var result = await _sandbox.RunAsync(_world.Script("env"), _world.Policy(), CancellationToken.None);

        var names = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')[0]).ToHashSet();
        names.ExceptWith(["PWD", "SHLVL", "_"]); // bash sets these itself
        Assert.Equal(SandboxWorld.Env.Keys.ToHashSet(), names);
    }

    [ToolFact("bwrap", "curl")]
    public async Task Attack_connecting_to_the_admin_api_and_postgres_on_host_loopback_fails()
    {
        await using var admin = await AdminStandIn.StartAsync();
        using var postgres = new TcpListener(IPAddress.Loopback, 0);
        postgres.Start();
        var pgPort = ((IPEndPoint)postgres.LocalEndpoint).Port;
        // A Unix socket where PostgreSQL and Docker keep theirs (/run, /var/run → /run): a read-only bind
        // would not stop connect(), so /run must be private.
        var socketPath = $"/run/af-test-{Guid.NewGuid():N}.sock";
        using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        unix.Bind(new UnixDomainSocketEndPoint(socketPath));
        unix.Listen(1);

        var result = await _sandbox.RunAsync(_world.Script("""
            curl -s -m 5 "http://127.0.0.1:$1/admin" && echo "LEAK admin api"
            (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && echo "LEAK postgres port"
            (exec 3<>"/dev/tcp/$(hostname -I 2>/dev/null | cut -d' ' -f1)/$2") 2>/dev/null && echo "LEAK postgres via host address"
            [ -e "$3" ] && echo "LEAK unix socket visible"
            curl -s -m 5 --unix-socket "$3" http://x/ >/dev/null 2>&1; [ $? -ne 7 ] && echo "LEAK unix socket connected"
            ls -A /run | sed 's/^/LEAK in run: /'
            echo done
            """, admin.BaseUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), pgPort.ToString(System.Globalization.CultureInfo.InvariantCulture), socketPath),
            _world.Policy(), CancellationToken.None);

        Assert.DoesNotContain("LEAK", result.Output);
        Assert.Contains("done", result.Output);
        Assert.Empty(admin.Requests);
        File.Delete(socketPath);
    }

    public void Dispose() => _world.Dispose();
}

/// <summary>Kestrel on loopback, standing in for the service's admin API.</summary>
internal sealed class AdminStandIn : Support.Fakes.FakeServer
{
    public static async Task<AdminStandIn> StartAsync()
    {
        var server = new AdminStandIn();
        await server.ListenAsync();
        return server;
    }

    protected override void Map(WebApplication app) => app.MapGet("/{**path}", () => Results.Text("admin secrets"));
}
