namespace AgentFactory.Sandbox;

/// <summary>What to run: an argument list (never a shell string) with exactly the given environment.</summary>
public sealed record ProcessSpec(
    string FileName,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string? WorkingDirectory = null,
    byte[]? Stdin = null,
    int MaxOutputBytes = 64 * 1024);

/// <param name="Output">stdout and stderr interleaved; only the last MaxOutputBytes are kept.</param>
/// <param name="OutputBytes">How many bytes the process wrote in all.</param>
/// <param name="Limit">The sandbox limit that ended the process, when one did (e.g. "memory", "wall clock").</param>
public sealed record ProcessResult(int ExitCode, string Output, long OutputBytes, string? Limit = null)
{
    public bool Truncated(int max) => OutputBytes > max;
}
