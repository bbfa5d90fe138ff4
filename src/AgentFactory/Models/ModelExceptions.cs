using Microsoft.Extensions.AI;

namespace AgentFactory.Models;

/// <summary>
/// The endpoint refused the request and will refuse it again (a 4xx other than 408, 409 and 429:
/// a bad key, an unknown model, a request it cannot take). Not retried; the message says which
/// settings to check.
/// </summary>
public sealed class ModelRejectedException : Exception
{
    public ModelRejectedException() { }
    public ModelRejectedException(string message) : base(message) { }
    public ModelRejectedException(string message, Exception inner) : base(message, inner) { }

    public ModelRejectedException(string message, int status, Exception inner) : base(message, inner) => Status = status;

    /// <summary>The HTTP status the endpoint answered.</summary>
    public int Status { get; }
}

/// <summary>
/// The model could not be reached or stayed busy: 408, 409, 429, 5xx, a network error or a time-out,
/// still so after the retries. Worth trying again later (the job's own retry does).
/// </summary>
public sealed class ModelUnavailableException : Exception
{
    public ModelUnavailableException() { }
    public ModelUnavailableException(string message) : base(message) { }
    public ModelUnavailableException(string message, Exception inner) : base(message, inner) { }

    public ModelUnavailableException(string message, int? status, Exception? inner) : base(message, inner) => Status = status;

    /// <summary>The last HTTP status, or null for a network error or a time-out.</summary>
    public int? Status { get; }
}

/// <summary>What was wrong with a reply the model did send.</summary>
public enum ModelReplyProblem
{
    /// <summary>Cut at the output limit (finish reason "length" / stop reason "max_tokens").</summary>
    Truncated,

    /// <summary>A tool call whose arguments are not a JSON object.</summary>
    MalformedToolCall,
}

/// <summary>
/// The model answered, but the reply cannot be used as it is. The model can fix this itself: a
/// tool loop sends <see cref="ToolError"/> back (as the result of <see cref="ToolCallId"/> when
/// there is one, else as a message) and asks again. <see cref="Response"/> is the reply as received,
/// with its usage, so it can be kept in the conversation and the transcript.
/// </summary>
public sealed class ModelReplyException : Exception
{
    public ModelReplyException() { }
    public ModelReplyException(string message) : base(message) { }
    public ModelReplyException(string message, Exception inner) : base(message, inner) { }

    public ModelReplyException(ModelReplyProblem problem, string message, string toolError, ChatResponse response, FunctionCallContent? call = null)
        : base(message, call?.Exception)
    {
        Problem = problem;
        ToolError = toolError;
        Response = response;
        ToolCallId = call?.CallId;
        ToolName = call?.Name;
    }

    public ModelReplyProblem Problem { get; }

    /// <summary>Short, self-explaining text for the model saying what to do differently.</summary>
    public string ToolError { get; } = "";

    public ChatResponse Response { get; } = new();

    /// <summary>The malformed call's id and tool name (null for a truncated reply without one).</summary>
    public string? ToolCallId { get; }

    public string? ToolName { get; }
}
