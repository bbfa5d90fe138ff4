using System.Text.Json;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// One tool of the coding agent: what the model is shown (name, description, the JSON schema of its
/// arguments) and what it does. Names, arguments and result formats are a public contract
/// (docs/coding-agent.md, "Tool contract"). A tool never throws for a mistake the model can fix: it
/// returns an error result saying what happened and what to do next. It throws only when
/// <c>ct</c> is cancelled or the service itself is broken (a process that cannot start).
/// Calls on one <see cref="ToolContext"/> are made one at a time.
/// </summary>
public interface ICodingTool
{
    /// <summary>The function name the model calls, e.g. <c>view_file</c>.</summary>
    string Name { get; }

    /// <summary>What the model is told about the tool: when to use it and what it returns.</summary>
    string Description { get; }

    /// <summary>The JSON schema (an "object" schema) of the arguments, as JSON text.</summary>
    string ParametersSchema { get; }

    Task<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken ct);
}

/// <param name="Text">What the model reads next.</param>
/// <param name="Excerpt">One short line for the job's transcript (at most <see cref="MaxExcerpt"/> characters).</param>
/// <param name="IsError">The call was refused or failed; <paramref name="Text"/> says why and what to do instead.</param>
public sealed record ToolResult(string Text, string Excerpt, bool IsError)
{
    public const int MaxExcerpt = 200;

    public static ToolResult Ok(string text, string summary) => new(text, Shorten(summary), false);

    public static ToolResult Error(string text) => new(text, Shorten(text), true);

    /// <summary>The first line of <paramref name="text"/>, cut to <see cref="MaxExcerpt"/> characters.</summary>
    public static string Shorten(string text)
    {
        var line = text.AsSpan().TrimStart();
        var newline = line.IndexOfAny('\r', '\n');
        if (newline >= 0) line = line[..newline];
        return line.Length <= MaxExcerpt ? line.ToString() : string.Concat(line[..(MaxExcerpt - 1)], "…");
    }
}

/// <summary>
/// The shared frame of every tool: arguments are read through <see cref="ToolArguments"/>, and a
/// <see cref="ToolException"/> (bad argument, refused path) or a file-system error becomes an error
/// result in the model's terms instead of an exception.
/// </summary>
public abstract class CodingTool : ICodingTool
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract string ParametersSchema { get; }

    public async Task<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            return await RunAsync(ToolArguments.From(Name, arguments), context, ct);
        }
        catch (ToolException e)
        {
            return ToolResult.Error(e.Message);
        }
        catch (IOException e)
        {
            return ToolResult.Error($"{Name} failed: {e.Message}");
        }
        catch (UnauthorizedAccessException)
        {
            return ToolResult.Error($"{Name} failed: permission denied. The file or directory is not accessible to the agent; choose another path.");
        }
    }

    protected abstract Task<ToolResult> RunAsync(ToolArguments args, ToolContext context, CancellationToken ct);
}

/// <summary>A mistake the model can fix; the message is what it reads.</summary>
public sealed class ToolException : Exception
{
    public ToolException(string message) : base(message) { }

    public ToolException() { }

    public ToolException(string message, Exception inner) : base(message, inner) { }
}
