using System.Text.Json;

namespace AgentFactory.Agents.Log;

/// <summary>
/// The built-in "log" agent: records that the job ran and completes. It is what the guide's bare
/// manual trigger and any unrouted job type use until a real agent is configured.
/// </summary>
public sealed partial class LogAgent(string name, ILogger<LogAgent> log) : IAgent
{
    public string Name { get; } = name;

    public Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
    {
        var repo = job.PayloadString("repository.full_name");
        LogJob(log, job.Id, job.JobType, job.Attempt, repo ?? "-");
        return Task.FromResult(AgentResult.Success($"log agent: job {job.Id} ({job.JobType}) ran; repository {repo ?? "-"}; payload {job.Record.Payload.Length} bytes"));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "log agent: job {JobId} ({JobType}) attempt {Attempt}, repository {Repository}")]
    private static partial void LogJob(ILogger logger, long jobId, string jobType, int attempt, string repository);
}

public sealed class LogAgentKind(ILogger<LogAgent> log) : IAgentKind
{
    public string Kind => "log";

    public IAgent Create(string name, JsonElement settings) => new LogAgent(name, log);
}
