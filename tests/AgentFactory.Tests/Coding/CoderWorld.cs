using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.Coding;

/// <summary>
/// The coder's world end to end: a real repository with a bug (calc.add subtracts) and a test that shows it,
/// served by the fake GitHub (REST and git over HTTP), an issue describing the bug, the real service with the
/// real sandbox, and a scripted model speaking OpenAI's chat completions (or Anthropic's messages) to the real
/// client libraries.
/// </summary>
public sealed class CoderWorld : IAsyncDisposable
{
    public const string Buggy = "def add(a, b):\n    return a - b\n";
    public const string TestFile = "from calc import add\nassert add(2, 3) == 5, 'add(2, 3) should be 5'\nprint('ok')\n";

    private CoderWorld(AgentWorld world) => World = world;

    public AgentWorld World { get; }
    public FakeGitHub GitHub => World.GitHub;

    public static async Task<CoderWorld> CreateAsync(string? instructions = null)
    {
        var files = new Dictionary<string, string?> { ["calc.py"] = Buggy, ["test_calc.py"] = TestFile };
        if (instructions is not null) files["AGENTS.md"] = instructions;
        var world = new CoderWorld(await AgentWorld.CreateAsync(files));
        world.GitHub.AddIssue(1, "add() subtracts", "add(2, 3) returns -1; it should return 5.", "agent-task");
        return world;
    }

    /// <summary>Routing with github_issue on a coder agent; <paramref name="coder"/> adds or overrides its settings (JSON members).</summary>
    public static string Routing(string coder = "", string models = "") => $$"""
        {
          "routes": [ { "event": "issues", "actions": ["labeled"], "labels": ["agent-task"], "jobType": "github_issue" } ],
          "jobs": { "github_issue": { "agent": "coder", "maxAttempts": 2, "timeout": "00:05:00" }, "*": { "agent": "log" } },
          {{(models.Length > 0 ? $"\"models\": {{ {models} }}," : "")}}
          "agents": { "coder": { "kind": "coder", "testCommand": "python3 test_calc.py", "maxMinutes": 3{{(coder.Length > 0 ? ", " + coder : "")}} } }
        }
        """;

    public static LlmSettings Llm(FakeServer fake, string provider = "openai") => new()
    {
        Provider = provider, BaseUrl = provider == "openai" ? ((FakeOpenAiServer)fake).V1 : fake.BaseUrl, ApiKey = "sk-test-model-key-0001", Model = "coder-model",
        MaxOutputTokens = 2_000, ContextWindow = 100_000, InputUsdPerMillion = 3m, OutputUsdPerMillion = 15m, MaxRetries = 2,
    };

    public Task<TestService> StartAsync(string routing, LlmSettings? llm) => World.StartServiceAsync(llm: llm, routingJson: routing);

    public string LabeledPayload() => World.Payload("issues", "labeled", n =>
    {
        n["label"]!["name"] = "agent-task";
        n["issue"]!["number"] = 1;
    });

    public Task<JobRecord> DeliverAsync(TestService service) => AgentWorld.DeliverAsync(service, "issues", LabeledPayload());

    /// <summary>The scripted fix: look, replace, test, finish (the first reply carries the plan).</summary>
    public static ScriptedReply[] Fix() =>
    [
        new() { Text = "1. Read calc.py.\n2. Make add() add.\n3. Run the tests.", ToolCalls = [new("view_file", """{"path":"calc.py"}""", "c1")] },
        ScriptedReply.Call("str_replace", """{"path":"calc.py","old_str":"return a - b","new_str":"return a + b"}""", "c2"),
        ScriptedReply.Call("run_tests", "{}", "c3"),
        ScriptedReply.Call("finish", """{"summary":"add() now adds its arguments; test_calc.py passes."}""", "c4"),
    ];

    public JsonObject SinglePull() => Assert.Single(GitHub.Pulls);

    public string OnBranch(string file) => World.Origin.Git("show", $"agent-task/issue-1:{file}");

    /// <summary>Runs the repository's test on the pushed branch in a fresh checkout: the PR's diff must pass it.</summary>
    public (int ExitCode, string Output) TestBranch()
    {
        var dir = Path.Combine(World.Dir, "verify-" + Guid.NewGuid().ToString("N")[..6]);
        GitRepo.Run(World.Dir, "clone", "--quiet", "--branch", "agent-task/issue-1", World.Origin.Path, dir);
        using var python = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3", "test_calc.py")
            { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = python.StandardOutput.ReadToEnd() + python.StandardError.ReadToEnd();
        python.WaitForExit();
        return (python.ExitCode, output);
    }

    public static async Task<IReadOnlyList<JobStep>> StepsAsync(TestService service, long jobId) =>
        await service.Store.ListStepsAsync(jobId, 0, 1000, CancellationToken.None);

    public ValueTask DisposeAsync() => World.DisposeAsync();
}
