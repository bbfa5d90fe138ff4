using AgentFactory.Processes;
using AgentFactory.Sandbox;

namespace AgentFactory.Tests.Coding.Tools;

/// <summary>
/// A minimal bubblewrap confinement for the tools' tests, until the service's sandbox runner lands:
/// the whole file system read-only, a private /tmp, the policy's writable paths bound read-write, no
/// network and no other namespaces shared, in the caller's process group. Not the product's sandbox; only enough to prove the tools
/// work through one.
/// </summary>
public sealed class BwrapProcesses : IAgentProcesses
{
    private readonly UnconfinedAgentProcesses _inner = new();

    public Task<ProcessResult> RunAsync(ProcessSpec spec, SandboxPolicy policy, CancellationToken ct)
    {
        List<string> args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
        foreach (var path in policy.WritablePaths) args.AddRange(["--bind", path, path]);
        // No --new-session: the runner ends the process group, and the sandboxed command stays in it.
        args.Add("--unshare-all");
        if (spec.WorkingDirectory is { } wd) args.AddRange(["--chdir", wd]);
        args.Add("--");
        args.Add(spec.FileName);
        args.AddRange(spec.Arguments);
        return _inner.RunAsync(spec with { FileName = "bwrap", Arguments = args }, policy, ct);
    }
}
