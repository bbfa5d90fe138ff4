namespace AgentFactory.Sandbox;

/// <summary>What to run: an argument list (never a shell string) with exactly the given environment.</summary>
public sealed record ProcessSpec(
    string FileName,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    string? WorkingDirectory = null,
    byte[]? Stdin = null,
    int MaxOutputBytes = 64 * 1024)
{
    /// <summary>
    /// Called with each line of stdout as it arrives (without its newline; a line over
    /// <see cref="MaxLineBytes"/> is cut there), in order and one at a time, for a caller that follows a
    /// program's event stream while it runs (a coding CLI). It must neither block nor throw. stdout
    /// still goes to <see cref="ProcessResult.Output"/>'s tail as well.
    /// </summary>
    public Action<string>? OnStdoutLine { get; init; }

    public const int MaxLineBytes = 1024 * 1024;
}

/// <param name="Output">stdout and stderr interleaved; only the last MaxOutputBytes are kept.</param>
/// <param name="OutputBytes">How many bytes the process wrote in all.</param>
/// <param name="Limit">The sandbox limit that ended the process, when one did (e.g. "memory", "wall clock").</param>
public sealed record ProcessResult(int ExitCode, string Output, long OutputBytes, string? Limit = null)
{
    public bool Truncated(int max) => OutputBytes > max;
}
