using System.Text.Json;
using AgentFactory.Agents.Coding.Tools;
using AgentFactory.Sandbox;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Coding.Tools;

/// <summary>
/// A real git repository as a coding run's worktree, with a <see cref="ToolContext"/> whose processes
/// are real (unconfined unless a test gives another runner) and with the service's small environment.
/// </summary>
public sealed class ToolWorld : IDisposable
{
    private readonly TempDir _dir = new();

    public ToolWorld(IReadOnlyDictionary<string, string?>? files = null, CodingToolSettings? settings = null, IAgentProcesses? processes = null)
    {
        Repo = GitRepo.InitWorking(Path.Combine(_dir.Path, "repo"));
        Repo.Commit("initial", files ?? new Dictionary<string, string?> { ["README.md"] = "# demo\n" });
        var policy = new SandboxPolicy(JobId: 1, WritablePaths: [Repo.Path], HiddenPaths: [], Network: [], SandboxLimits.Default);
        Context = new ToolContext(Repo.Path, processes ?? TestProcesses.Agents, policy, TestProcesses.ProcessEnvironment().ForAgent([]), settings);
    }

    public GitRepo Repo { get; }

    public ToolContext Context { get; }

    /// <summary>A directory beside the repository (outside the worktree).</summary>
    public string Outside => _dir.Path;

    public string FullPath(string relative) => Path.Combine(Repo.Path, relative);

    public string Read(string relative) => File.ReadAllText(FullPath(relative));

    public void Write(string relative, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FullPath(relative))!);
        File.WriteAllText(FullPath(relative), content);
    }

    /// <summary>Calls the tool as the model would: arguments as a JSON object.</summary>
    public Task<ToolResult> Call(string tool, object? arguments = null, CancellationToken ct = default) =>
        (CodingTools.Find(tool) ?? throw new ArgumentException($"no tool {tool}")).InvokeAsync(JsonSerializer.SerializeToElement(arguments ?? new { }), Context, ct);

    public void Dispose() => _dir.Dispose();
}
