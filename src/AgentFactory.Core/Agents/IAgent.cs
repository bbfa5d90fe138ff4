using System.Text.Json;
using AgentFactory.Jobs;

namespace AgentFactory.Agents;

/// <summary>
/// The one contract every agent implements. An agent does the work of one attempt and reports how
/// it went; it never decides retries (see <see cref="AgentFactory.Orchestration.OutcomePolicy"/>).
/// Throwing is a failed attempt; <see cref="PermanentAgentException"/> fails the job without retrying.
/// The token is cancelled on timeout, on user cancellation, on lost lease and on shutdown.
/// </summary>
public interface IAgent
{
    /// <summary>The configured name of this agent (the key under "agents" in the routing file).</summary>
    string Name { get; }

    Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct);
}

/// <summary>Creates agents of one kind ("command", "log", …) from their settings in the routing file.</summary>
public interface IAgentKind
{
    string Kind { get; }

    /// <summary>Builds an agent; throws <see cref="AgentConfigurationException"/> naming the bad setting.</summary>
    IAgent Create(string name, JsonElement settings);
}

/// <summary>What an agent is given: the job row and convenient views of its payload.</summary>
public sealed class AgentJob(JobRecord record)
{
    public JobRecord Record { get; } = record;
    public long Id => Record.Id;
    public string JobType => Record.JobType;
    public int Attempt => Record.Attempt;

    /// <summary>The payload parsed; an empty object when the payload is not an object.</summary>
    public JsonElement Payload { get; } = ParsePayload(record.Payload);

    /// <summary>Reads a string at a dotted path of the payload ("repository.full_name"), or null.</summary>
    public string? PayloadString(string dottedPath)
    {
        var current = Payload;
        foreach (var part in dottedPath.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current)) return null;
        }
        return current.ValueKind switch
        {
            JsonValueKind.String => current.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => current.GetRawText(),
            _ => null,
        };
    }

    private static JsonElement ParsePayload(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json); // empty or blank text is a JsonException too
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : EmptyObject();
        }
        catch (JsonException)
        {
            return EmptyObject();
        }
    }

    private static JsonElement EmptyObject()
    {
        using var doc = JsonDocument.Parse("{}");
        return doc.RootElement.Clone();
    }
}

/// <summary>How an attempt went. <paramref name="Output"/> is kept on the job row (a tail of it).</summary>
public sealed record AgentResult(bool Succeeded, string? Output = null, string? Error = null)
{
    public static AgentResult Success(string? output = null) => new(true, output);
    public static AgentResult Failure(string error, string? output = null) => new(false, output, error);
}

/// <summary>An attempt failed in a way that no retry can fix (bad input, a 4xx from an API).</summary>
public sealed class PermanentAgentException : Exception
{
    public PermanentAgentException() { }
    public PermanentAgentException(string message) : base(message) { }
    public PermanentAgentException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>An agent's settings are invalid; the message names the setting.</summary>
public sealed class AgentConfigurationException : Exception
{
    public AgentConfigurationException() { }
    public AgentConfigurationException(string message) : base(message) { }
    public AgentConfigurationException(string message, Exception inner) : base(message, inner) { }
}
