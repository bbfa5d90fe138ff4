namespace AgentFactory.Cli;

/// <summary>Exit codes scripts can rely on (docs/operations.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The operation failed at run time (database unreachable, …).</summary>
    public const int Failure = 1;
    /// <summary>Bad command line or configuration; the message says which setting.</summary>
    public const int Usage = 2;
    /// <summary>The job or event does not exist, or is not in a state that allows the operation.</summary>
    public const int NotFound = 3;
}
