using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using AgentFactory.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace AgentFactory.Tests.Sandbox;

/// <summary>
/// Issue 12, item 7, through the whole service: jobs of a command agent whose script is an attacker's try
/// each theft and each way out that the acceptance run found. The service's own wiring decides what the
/// script sees (the data directory, the routing file, the service's /proc, the admin API, the database
/// port), not a policy written by the test. Every attempt fails, each job ends with a clear reason, the
/// service stays healthy, and the one allowlisted host is reachable.
/// </summary>
public sealed class ServiceSandboxTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TcpListener _database = null!;
    private WebApplication _allowed = null!;
    private int _allowedPort;

    public async Task InitializeAsync()
    {
        _database = new TcpListener(IPAddress.Loopback, 0); // stands in for PostgreSQL on loopback
        _database.Start();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _allowed = builder.Build();
        _allowed.MapGet("/", () => "allowed-host-answered");
        await _allowed.StartAsync();
        _allowedPort = new Uri(_allowed.Urls.First()).Port;
    }

    public async Task DisposeAsync()
    {
        _database.Stop();
        await _allowed.DisposeAsync();
        _dir.Dispose();
    }

    private string Routing(string thief) => $$$"""
        { "routes": [],
          "jobs": {
            "thief": { "agent": "thief", "manual": true, "maxAttempts": 1, "timeout": "00:02:00" },
            "forkbomb": { "agent": "forkbomb", "manual": true, "maxAttempts": 1, "timeout": "00:02:00" },
            "filltmp": { "agent": "filltmp", "manual": true, "maxAttempts": 1, "timeout": "00:02:00" } },
          "agents": {
            "thief": { "kind": "command", "command": ["{{{thief}}}", "{{DATA}}", "{{ROUTING}}", "{{SERVICE_PID}}", "{{SECRET}}", "{{TOKEN}}", "{{ADMIN_PORT}}", "{{DB_PORT}}", "{{ALLOWED_PORT}}"], "network": ["127.0.0.1:{{{_allowedPort}}}"] },
            "forkbomb": { "kind": "command", "command": ["/bin/sh", "-c", "while :; do sleep 600 & done"], "limits": { "processes": 64 } },
            "filltmp": { "kind": "command", "command": ["bash", "-c", "dd if=/dev/zero of=/tmp/fill bs=1M count=4096 2>&1; exit 1"] } } }
        """;

    [ToolFact("bwrap", "socat", "curl")]
    public async Task Attack_scripts_of_a_job_steal_nothing_reach_nothing_but_their_allowlist_and_the_service_stays_healthy()
    {
        var thief = Scripts.Write(_dir, "thief.sh", """
            #!/bin/bash
            DATA=$1 ROUTING=$2 SERVICE_PID=$3 SECRET=$4 TOKEN=$5 ADMIN_PORT=$6 DB_PORT=$7 ALLOWED_PORT=$8
            try() { if out=$(cat "$1" 2>/dev/null) && [ -n "$out" ]; then echo "LEAK $1"; fi; }
            for f in "$DATA"/admin-token "$DATA"/webhook-secret "$DATA"/manual-token "$DATA"/agentfactory.db "$ROUTING"; do try "$f"; done
            ls -A "$DATA" 2>/dev/null | grep -v -e '^work$' | sed 's/^/LEAK listing: /'
            try "/proc/$SERVICE_PID/environ"; try "/proc/$SERVICE_PID/cmdline"
            for p in /proc/[0-9]*; do grep -q -a "$SECRET" "$p/environ" 2>/dev/null && echo "LEAK environ of $p"; done
            env | grep -q -e "$SECRET" -e "$TOKEN" && echo "LEAK own environment"
            curl -s -m 5 --noproxy '*' "http://127.0.0.1:$ADMIN_PORT/api/stats" >/dev/null 2>&1 && echo "LEAK admin API reached"
            curl -s -m 5 "http://127.0.0.1:$ADMIN_PORT/api/stats" -o /dev/null -w '%{http_code}' 2>/dev/null | grep -q '^2' && echo "LEAK admin API through the proxy"
            (exec 3<>"/dev/tcp/127.0.0.1/$DB_PORT") 2>/dev/null && echo "LEAK database port reached"
            curl -s -m 5 https://example.com >/dev/null 2>&1 && echo "LEAK internet"
            echo "allowed: $(curl -s -m 10 "http://127.0.0.1:$ALLOWED_PORT/")"
            echo done
            """);
        var routingFile = _dir.File("routing.json");
        await File.WriteAllTextAsync(routingFile, Routing(thief));
        await using var service = await TestService.StartAsync(routingJson: Routing(thief), configure: o => o.RoutingFile = routingFile);
        var admin = service.Admin.BaseAddress!.Port;

        // What the script is told (it would know these from the machine anyway) — the values are what it must not get.
        var payload = new JsonObject
        {
            ["DATA"] = service.Options.DataDirectory, ["ROUTING"] = routingFile, ["SERVICE_PID"] = Environment.ProcessId,
            ["SECRET"] = TestService.Secret, ["TOKEN"] = TestService.AdminToken, ["ADMIN_PORT"] = admin,
            ["DB_PORT"] = ((IPEndPoint)_database.LocalEndpoint).Port, ["ALLOWED_PORT"] = _allowedPort,
        };
        var thiefJob = await RunAsync(service, "thief", payload);
        var forkJob = await RunAsync(service, "forkbomb", new JsonObject());
        var fillJob = await RunAsync(service, "filltmp", new JsonObject());

        Assert.True(thiefJob.Status == JobStatus.Completed, thiefJob.Error + "\n" + thiefJob.Output);
        Assert.DoesNotContain("LEAK", thiefJob.Output, StringComparison.Ordinal);
        Assert.Contains("allowed: allowed-host-answered", thiefJob.Output, StringComparison.Ordinal);
        Assert.Contains("done", thiefJob.Output, StringComparison.Ordinal);

        Assert.Equal(JobStatus.Failed, forkJob.Status);
        Assert.Contains("processes limit", forkJob.Error, StringComparison.Ordinal);
        Assert.Equal(JobStatus.Failed, fillJob.Status);
        Assert.Contains("temporary space limit", fillJob.Error, StringComparison.Ordinal);

        using var health = await service.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(File.Exists(Path.Combine(service.Options.DataDirectory, "admin-token")) || service.Dashboard.AdminTokenSource == "ADMIN_TOKEN");
    }

    private static async Task<JobRecord> RunAsync(TestService service, string type, JsonObject payload)
    {
        using var response = await service.Http.SendAsync(service.Manual(new JsonObject { ["job_type"] = type, ["payload"] = payload }.ToJsonString()));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["job_id"]!.GetValue<long>();
        return await service.WaitForJobAsync(id, JobStatus.Completed, JobStatus.Failed);
    }
}
