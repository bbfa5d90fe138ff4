using System.Globalization;
using System.Text.Json;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// Reads one call's arguments, forgiving the usual slips of models (no arguments at all, the object
/// sent as a JSON string, a number sent as a string) and naming the argument when one is wrong.
/// Unknown properties are ignored.
/// </summary>
public sealed class ToolArguments
{
    private readonly string _tool;
    private readonly JsonElement _object;

    private ToolArguments(string tool, JsonElement obj)
    {
        _tool = tool;
        _object = obj;
    }

    public static ToolArguments From(string tool, JsonElement arguments)
    {
        switch (arguments.ValueKind)
        {
            case JsonValueKind.Object:
                return new ToolArguments(tool, arguments);
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return new ToolArguments(tool, default);
            case JsonValueKind.String when arguments.GetString() is { } text && text.TrimStart().StartsWith('{'):
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    if (doc.RootElement.ValueKind == JsonValueKind.Object) return new ToolArguments(tool, doc.RootElement.Clone());
                }
                catch (JsonException) { }
                break;
        }
        throw new ToolException($"The arguments of {tool} must be a JSON object whose fields are described by the tool's schema.");
    }

    private JsonElement? Get(string name) =>
        _object.ValueKind == JsonValueKind.Object && _object.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    /// <summary>A string that must be present and not blank.</summary>
    public string RequiredText(string name, string what)
    {
        var value = OptionalString(name) ?? throw new ToolException($"{_tool} needs the argument \"{name}\" (string): {what}.");
        return string.IsNullOrWhiteSpace(value)
            ? throw new ToolException($"The argument \"{name}\" of {_tool} is empty: it must be {what}.")
            : value;
    }

    /// <summary>A string that must be present but may be empty (e.g. a replacement that deletes).</summary>
    public string RequiredString(string name, string what) =>
        OptionalString(name) ?? throw new ToolException($"{_tool} needs the argument \"{name}\" (string): {what}.");

    public string? OptionalString(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { } v => throw new ToolException($"The argument \"{name}\" of {_tool} must be a string, not {Describe(v)}."),
    };

    public int? OptionalInt(string name)
    {
        switch (Get(name))
        {
            case null:
                return null;
            case { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out var n):
                return n;
            case { ValueKind: JsonValueKind.Number } v when v.TryGetDouble(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue:
                return (int)d;
            case { ValueKind: JsonValueKind.String } v when int.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s):
                return s;
            case { } v:
                throw new ToolException($"The argument \"{name}\" of {_tool} must be a whole number, not {Describe(v)}.");
        }
    }

    /// <summary>One of <paramref name="accepted"/> (case-insensitive), or <paramref name="fallback"/> when absent.</summary>
    public string Choice(string name, string fallback, params string[] accepted)
    {
        var value = OptionalString(name);
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        return accepted.FirstOrDefault(a => string.Equals(a, value.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ToolException($"The argument \"{name}\" of {_tool} must be one of {string.Join(", ", accepted.Select(a => $"\"{a}\""))}, not \"{value}\".");
    }

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"the text \"{ToolResult.Shorten(v.GetString() ?? "")}\"",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the value {v.GetRawText()}",
        JsonValueKind.Array => "a list",
        _ => "an object",
    };
}
