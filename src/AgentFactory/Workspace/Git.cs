using AgentFactory.Sandbox;

namespace AgentFactory.Workspace;

/// <summary>A git command failed; the message has the command (never a credential) and git's output.</summary>
public sealed class GitException : Exception
{
    public GitException() { }
    public GitException(string message) : base(message) { }
    public GitException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Runs the service's git through <see cref="IHostProcesses"/> with the host environment allowlist (no
/// service secrets) and never a password prompt. Credentials, when needed, go in <c>extraEnv</c> as
/// GIT_CONFIG_* entries: an environment is not visible to other users the way arguments are.
/// </summary>
public sealed class Git(IHostProcesses processes, ProcessEnvironment environment)
{
    public async Task<string> RunAsync(string directory, IReadOnlyList<string> args, CancellationToken ct, IReadOnlyDictionary<string, string>? extraEnv = null)
    {
        var result = await TryRunAsync(directory, args, ct, extraEnv);
        return result.ExitCode == 0 ? result.Output
            : throw new GitException($"git {string.Join(' ', args.Where(a => !a.Contains("extraheader", StringComparison.OrdinalIgnoreCase)))} failed (exit {result.ExitCode}): {result.Output.Trim()}");
    }

    public Task<ProcessResult> TryRunAsync(string directory, IReadOnlyList<string> args, CancellationToken ct, IReadOnlyDictionary<string, string>? extraEnv = null)
    {
        var env = environment.ForHost();
        foreach (var (k, v) in extraEnv ?? new Dictionary<string, string>()) env[k] = v;
        return processes.RunAsync(new ProcessSpec("git", ["-C", directory, .. args], env, MaxOutputBytes: 64 * 1024), ct);
    }

    /// <summary>Environment that makes git send an HTTPS token (GitHub's "x-access-token" basic auth) without it appearing in arguments or URLs.</summary>
    public static Dictionary<string, string> TokenAuth(string token)
    {
        var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("x-access-token:" + token));
        return new(StringComparer.Ordinal)
        {
            ["GIT_CONFIG_COUNT"] = "1",
            ["GIT_CONFIG_KEY_0"] = "http.extraheader",
            ["GIT_CONFIG_VALUE_0"] = "Authorization: Basic " + basic,
        };
    }
}
