using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFactory.Agents;
using AgentFactory.Agents.Command;
using AgentFactory.Jobs;
using AgentFactory.Options;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Agents;

/// <summary>The command agent against real processes.</summary>
public sealed class CommandAgentTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static AgentJob Job(string payload = """{"repository":{"full_name":"octo/hello"},"after":"abc123","ref":"refs/heads/main"}""") =>
        new(new JobRecord(42, "github_push", payload, JobStatus.Running, 0, 1, 3, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            DateTimeOffset.UtcNow, null, null, [], null, "w", null, 7));

    /// <summary>An agent in the real sandbox that may also write this test's directory (where its scripts leave what they saw).</summary>
    /// <param name="environment">The service's environment as the agent sees it (never this test process's own variables).</param>
    private IAgent Agent(object settings, Dictionary<string, string>? environment = null)
    {
        var json = JsonSerializer.SerializeToNode(settings)!.AsObject();
        json["writablePaths"] ??= new JsonArray(_dir.Path);
        return Kind(environment).Create("test", JsonSerializer.SerializeToElement(json));
    }

    private CommandAgentKind Kind(Dictionary<string, string>? environment = null) =>
        new(TestProcesses.Agents, TestProcesses.ProcessEnvironment(environment), TestProcesses.Sandbox(Options), Options);

    private AgentFactoryOptions Options => new() { DataDirectory = _dir.File("data") };

    [Fact]
    public async Task Job_arrives_on_stdin_and_key_fields_as_variables_but_service_secrets_do_not()
    {
        var service = new Dictionary<string, string> { ["AF_TEST_SERVICE_SECRET"] = "must-not-leak", ["AF_TEST_ALLOWED"] = "passed-on-purpose" };
        var script = Scripts.Write(_dir, "capture.sh", $"cat > '{_dir.File("stdin.json")}'; env > '{_dir.File("env.txt")}'");
        var result = await Agent(new { command = new[] { script }, passEnv = new[] { "AF_TEST_ALLOWED" }, env = new { FIXED = "yes" } }, service).RunAsync(Job(), default);

        Assert.True(result.Succeeded, result.Error);
        var stdin = JsonNode.Parse(File.ReadAllText(_dir.File("stdin.json")))!;
        Assert.Equal(42, stdin["id"]!.GetValue<long>());
        Assert.Equal("github_push", stdin["job_type"]!.GetValue<string>());
        Assert.Equal("octo/hello", stdin["payload"]!["repository"]!["full_name"]!.GetValue<string>());

        var env = File.ReadAllLines(_dir.File("env.txt"));
        Assert.Contains("AF_JOB_ID=42", env);
        Assert.Contains("AF_JOB_TYPE=github_push", env);
        Assert.Contains("AF_REPOSITORY=octo/hello", env);
        Assert.Contains("AF_SHA=abc123", env);
        Assert.Contains("AF_EVENT_ID=7", env);
        Assert.Contains("FIXED=yes", env);
        Assert.Contains("AF_TEST_ALLOWED=passed-on-purpose", env);
        Assert.DoesNotContain(env, l => l.Contains("must-not-leak", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Payload_placeholders_become_single_arguments_with_no_shell_interpretation()
    {
        var pwned = _dir.File("pwned");
        var title = $"$(touch {pwned}); `touch {pwned}` && echo hi; rm -rf /nonexistent *";
        var script = Scripts.Write(_dir, "args.sh", $"printf '%s\\n' \"$#\" \"$1\" > '{_dir.File("args.txt")}'");
        var payload = new JsonObject { ["issue"] = new JsonObject { ["title"] = title } }.ToJsonString();
        var result = await Agent(new { command = new[] { script, "{{issue.title}}" } }).RunAsync(Job(payload), default);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(["1", title], File.ReadAllLines(_dir.File("args.txt")));
        Assert.False(File.Exists(pwned));
    }

    [Fact]
    public async Task Non_zero_exit_is_a_failure_that_keeps_the_output()
    {
        var script = Scripts.Write(_dir, "fail.sh", "echo 'deploying…'; echo 'error: disk full' >&2; exit 3");
        var result = await Agent(new { command = new[] { script } }).RunAsync(Job(), default);
        Assert.False(result.Succeeded);
        Assert.Contains("exited with code 3", result.Error, StringComparison.Ordinal);
        Assert.Contains("deploying…", result.Output, StringComparison.Ordinal);
        Assert.Contains("error: disk full", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_code_listed_as_permanent_fails_without_retry()
    {
        var script = Scripts.Write(_dir, "refuse.sh", "echo 'tag v0.0.1 is not signed'; exit 78");
        var e = await Assert.ThrowsAsync<PermanentAgentException>(() =>
            Agent(new { command = new[] { script }, permanentExitCodes = new[] { 78 } }).RunAsync(Job(), default));
        Assert.Contains("exited with code 78", e.Message, StringComparison.Ordinal);
        Assert.Contains("tag v0.0.1 is not signed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flood_of_output_is_capped_to_its_tail()
    {
        var script = Scripts.Write(_dir, "flood.sh", "i=0; while [ $i -lt 20000 ]; do echo \"line $i of noise noise noise noise\"; i=$((i+1)); done; echo THE-END");
        var result = await Agent(new { command = new[] { script }, maxOutputKb = 4 }).RunAsync(Job(), default);
        Assert.True(result.Succeeded);
        Assert.True(result.Output!.Length < 5 * 1024, $"kept {result.Output.Length} chars");
        Assert.EndsWith("THE-END\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("earlier bytes of output dropped", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_kills_the_whole_process_tree()
    {
        var marker = AgentFactory.Tests.Sandbox.SandboxWorld.Marker();
        var script = Scripts.Write(_dir, "hang.sh", $"sleep {marker} & echo started > '{_dir.File("started")}'; wait");
        using var cts = new CancellationTokenSource();
        var run = Agent(new { command = new[] { script } }).RunAsync(Job(), cts.Token);
        await Scripts.WaitForFileAsync(_dir.File("started"));
        Assert.NotEmpty(AgentFactory.Tests.Sandbox.HostScan.With(marker));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(await AgentFactory.Tests.Sandbox.HostScan.GoneAsync(marker, TimeSpan.FromSeconds(30)), "a process of the job outlived it");
    }

    [Fact]
    public async Task Children_left_behind_by_an_exiting_command_are_ended_and_do_not_block_it()
    {
        var marker = AgentFactory.Tests.Sandbox.SandboxWorld.Marker();
        var script = Scripts.Write(_dir, "fork.sh", $"sleep {marker} & echo started; exit 0");
        var run = Agent(new { command = new[] { script } }).RunAsync(Job(), default);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30)); // would hang for 3000 s if the child kept stdout open
        Assert.True(result.Succeeded);
        Assert.True(await AgentFactory.Tests.Sandbox.HostScan.GoneAsync(marker, TimeSpan.FromSeconds(30)), "a process of the job outlived it");
    }

    [Fact]
    public async Task Command_killed_from_outside_is_a_failed_attempt()
    {
        var marker = AgentFactory.Tests.Sandbox.SandboxWorld.Marker();
        var script = Scripts.Write(_dir, "victim.sh", $"echo started > '{_dir.File("started")}'; exec sleep {marker}");
        var run = Agent(new { command = new[] { script } }).RunAsync(Job(), default);
        await Scripts.WaitForFileAsync(_dir.File("started"));
        var pid = AgentFactory.Tests.Sandbox.HostScan.With(marker).First(p => System.IO.File.ReadAllText($"/proc/{p}/cmdline").StartsWith("sleep", StringComparison.Ordinal));
        System.Diagnostics.Process.GetProcessById(pid).Kill();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(result.Succeeded);
        Assert.Contains("exited with code 137", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}", "command must be a list")]
    [InlineData("{\"command\": []}", "command must be a list")]
    [InlineData("{\"command\": [\"x\"], \"maxOutputKb\": 0}", "maxOutputKb")]
    [InlineData("{\"command\": [\"x\"], \"workingDirectory\": \"/no/such/dir\"}", "workingDirectory")]
    public void Bad_settings_fail_at_start_naming_the_setting(string json, string expected)
    {
        var e = Assert.Throws<AgentConfigurationException>(() => Kind().Create("deploy", JsonDocument.Parse(json).RootElement));
        Assert.Contains("agents.deploy", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_program_is_a_failure_that_says_so()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Agent(new { command = new[] { "/no/such/program" } }).RunAsync(Job(), default));
        Assert.Contains("/no/such/program", e.Message, StringComparison.Ordinal);
    }
}
