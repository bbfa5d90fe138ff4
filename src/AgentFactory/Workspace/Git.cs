using AgentFactory.Sandbox;

namespace AgentFactory.Workspace;

/// <summary>A git command failed; the message says which and what git said, with every credential cut out.</summary>
public sealed class GitException : Exception
{
    public GitException() { }
    public GitException(string message) : base(message) { }
    public GitException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Runs the service's git through <see cref="IHostProcesses"/> with the host environment allowlist (no
/// service secrets) and never a password prompt. Credentials, when needed, come in a <see cref="GitConfig"/>
/// that becomes GIT_CONFIG_* entries: an environment is not visible to other users the way arguments
/// are. What git prints is redacted here, at the source, before any caller can log or store it.
/// Callers pass values that come from a payload only after validating them (<see cref="GitTarget"/>)
/// and after --end-of-options.
/// </summary>
/// <param name="writes">Set by `agentfactory replay` only: every `git push` is recorded there and answered as a success instead of being run.</param>
public sealed class Git(IHostProcesses processes, ProcessEnvironment environment, Replay.CapturedWrites? writes = null)
{
    public async Task<string> RunAsync(string directory, IReadOnlyList<string> args, CancellationToken ct, GitConfig? config = null)
    {
        var result = await TryRunAsync(directory, args, ct, config);
        return result.ExitCode == 0 ? result.Output
            : throw new GitException($"git {Describe(args, config)} failed (exit code {result.ExitCode}): {result.Output.Trim()}");
    }

    /// <summary>Runs git; the result's output is already redacted.</summary>
    public async Task<ProcessResult> TryRunAsync(string directory, IReadOnlyList<string> args, CancellationToken ct, GitConfig? config = null)
    {
        if (writes is not null && Subcommand(args) == "push")
        {
            writes.Add(new Replay.CapturedWrite("GIT PUSH", Describe(args, config), null));
            return new ProcessResult(0, "", 0);
        }
        var env = environment.ForHost();
        config?.AddTo(env);
        var result = await processes.RunAsync(new ProcessSpec("git", ["-C", directory, .. args], env, MaxOutputBytes: 64 * 1024), ct);
        return result with { Output = GitRedaction.Redact(result.Output, config?.Secrets) };
    }

    /// <summary>
    /// For a working copy whose remotes carry a password in their URL ("https://user:TOKEN@host/…"):
    /// configuration that rewrites those URLs without it (url.&lt;bare&gt;.insteadOf) and sends it as a
    /// header instead, so git's remote helper never gets it in its arguments and git never prints it.
    /// </summary>
    public async Task<GitConfig> RemoteCredentialsAsync(string directory, CancellationToken ct)
    {
        var config = new GitConfig();
        var env = environment.ForHost();
        // Read unredacted, and never shown: this output holds the credentials themselves.
        var urls = await processes.RunAsync(new ProcessSpec("git", ["-C", directory, "config", "--get-regexp", @"^remote\..*\.(push)?url$"], env, MaxOutputBytes: 64 * 1024), ct);
        if (urls.ExitCode != 0) return config;
        foreach (var line in urls.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var url = line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..];
            var remote = GitRemote.FromConfigured(url);
            if (remote.Auth is null) continue;
            config.Set($"url.{remote.Url}.insteadOf", url).With(remote.Auth);
        }
        return config;
    }

    /// <summary>git's subcommand: the first argument that is not an option (nor the value of -c or -C).</summary>
    internal static string? Subcommand(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "-c" or "-C") i++;
            else if (!args[i].StartsWith('-')) return args[i];
        }
        return null;
    }

    /// <summary>The command for a message: its arguments, redacted.</summary>
    public static string Describe(IReadOnlyList<string> args, GitConfig? config = null) =>
        GitRedaction.Redact(string.Join(' ', args), config?.Secrets);
}
