using System.Collections.Concurrent;
using System.Text.Json;
using AgentFactory.Agents.Coding;
using AgentFactory.Agents.Coding.Cli;
using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Jobs;
using AgentFactory.Models;
using AgentFactory.Sandbox;
using AgentFactory.Tests.Models;
using AgentFactory.Tests.Sandbox;
using AgentFactory.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentFactory.Tests.Coding.Cli;

/// <summary>
/// A coder job's world for the CLI runtime: a real git repository with a bug (calc.add subtracts) and a test
/// that shows it, the real sandbox with the egress proxy routed to a real model gateway, the fake model
/// servers behind it, the shared ledger and a transcript that tests wait on.
/// </summary>
public sealed class CliWorld : IAsyncDisposable
{
    public const string Buggy = "def add(a, b):\n    return a - b\n";
    public const string Fixed = "def add(a, b):\n    return a + b\n";
    public const string TestFile = "from calc import add\nassert add(2, 3) == 5, 'add(2, 3) should be 5'\nprint('ok')\n";

    private CliWorld(GatewayKit kit)
    {
        Kit = kit;
        Repo = GitRepo.InitWorking(Sandbox.Worktree);
        Repo.Git("config", "user.email", "t@example.com");
        Repo.Git("config", "user.name", "Test");
        Repo.Commit("calc with a bug", new Dictionary<string, string?> { ["calc.py"] = Buggy, ["test_calc.py"] = TestFile });
        // Where the service's real keys live (.env in its working directory): hidden from every sandbox.
        File.WriteAllText(Path.Combine(Sandbox.ServiceDirectory, ".env"), $"ANTHROPIC_KEY={GatewayKit.AnthropicKey}\nOPENAI_KEY={GatewayKit.OpenAiKey}\n");
        Proxy = new EgressProxy(new ListLogger<EgressProxy>(), new EgressProxyOptions { Routes = kit.Gateway.Routes });
        Processes = new BubblewrapProcesses(Proxy);
    }

    public GatewayKit Kit { get; }
    public SandboxWorld Sandbox { get; } = new();
    public GitRepo Repo { get; }
    public EgressProxy Proxy { get; }
    public IAgentProcesses Processes { get; }
    public InMemoryBudgetLedger Ledger { get; } = new();
    public Models.RecordingObserver Observer { get; } = new();
    public RecordingSteps Steps { get; } = new();
    public int Checkpoints { get; private set; }

    public string Worktree => Sandbox.Worktree;

    public static async Task<CliWorld> StartAsync() => new(await GatewayKit.StartAsync());

    public string Read(string file) => File.ReadAllText(Path.Combine(Worktree, file));

    public CliRuntime Runtime(string routingJson, string? model, int checkpointEvery = 3)
    {
        using var raw = JsonDocument.Parse(routingJson);
        return new CliRuntime(CliSettings.Parse("coder", raw.RootElement, model, Kit.Catalog, checkpointEvery), Kit.Gateway, Ledger, NullLogger<CliRuntime>.Instance, [Observer]);
    }

    public static CodingTask Task => new(7, ModelKit.Repository, 12, "add() subtracts", "<untrusted>\nadd(2, 3) returns -1; it should return 5.\n</untrusted>", "main", "agent-task/issue-12");

    public CodingRun Run(BudgetLimits? limits = null, TimeSpan? wallClock = null, TimeProvider? time = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var clock = time ?? TimeProvider.System;
        var environment = new Dictionary<string, string>(env ?? SandboxWorld.Env);
        var policy = Sandbox.Policy();
        // A checkout under /tmp (a CI clone there) is hidden by the sandbox's private /tmp: the real CLIs in it are bound back in.
        if (RealCli.Folder.StartsWith("/tmp/", StringComparison.Ordinal)) policy = policy with { WritablePaths = [.. policy.WritablePaths, RealCli.Folder] };
        return new CodingRun(Worktree, Processes, policy, environment, new BudgetScope(7, ModelKit.Repository, limits ?? BudgetLimits.None),
            clock.GetUtcNow() + (wallClock ?? TimeSpan.FromMinutes(5)), Steps, [], _ => { Checkpoints++; return System.Threading.Tasks.Task.FromResult<string?>("abc123"); },
            new CodingToolSettings { TestCommand = "python3 test_calc.py" }, clock);
    }

    /// <summary>Every text of every step, to look for what must never be stored.</summary>
    public IEnumerable<string> StepTexts => Steps.All.SelectMany(s => new[] { s.Name, s.Input ?? "", s.Output ?? "" });

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Kit.DisposeAsync();
        Sandbox.Dispose();
    }
}

/// <summary>The transcript as the coder agent would store it, with a wait on the steps that arrive.</summary>
public sealed class RecordingSteps : IStepRecorder
{
    private readonly ConcurrentQueue<NewJobStep> _steps = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public IReadOnlyList<NewJobStep> All => [.. _steps];

    public Task RecordAsync(NewJobStep step, CancellationToken ct)
    {
        _steps.Enqueue(step);
        _arrived.Release();
        return System.Threading.Tasks.Task.CompletedTask;
    }

    public async Task<NewJobStep> WaitForAsync(Func<NewJobStep, bool> match)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (_steps.FirstOrDefault(match) is { } found) return found;
            await _arrived.WaitAsync(deadline.Token);
        }
    }
}
