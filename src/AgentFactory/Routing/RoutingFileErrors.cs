using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace AgentFactory.Routing;

/// <summary>
/// A System.Text.Json failure in the routing file, said in the file's terms: the line and column,
/// the setting by its path (routes[0].branch), and what is accepted there — never a .NET type or
/// member name ("could not be mapped to any .NET member … RouteRule", "System.TimeSpan").
/// </summary>
public static partial class RoutingFileErrors
{
    public static string Describe(JsonException e, string source)
    {
        var where = e.LineNumber is { } line
            ? $"{source}, line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}"
            : source;
        var path = Setting(e.Path);
        if (UnmappedMember().Match(e.Message) is { Success: true } unmapped)
        {
            var known = SettingNames(unmapped.Groups["type"].Value);
            var parent = path.Contains('.', StringComparison.Ordinal) ? path[..path.LastIndexOf('.')] : null;
            return $"The routing file ({where}) has an unknown setting '{unmapped.Groups["name"].Value}'{(parent is null ? "" : $" in {parent}")}." +
                   (known.Count > 0 ? $" The settings there are: {string.Join(", ", known)} (see docs/routing.md)." : " See docs/routing.md.");
        }
        if (NotConvertible().Match(e.Message) is { Success: true } conversion)
            return $"The routing file ({where}): {(path.Length > 0 ? path : "a value")} must be {Accepted(conversion.Groups["type"].Value)}.";
        // Not JSON at all: the parser's own description, without its internal position suffix.
        var reason = PositionSuffix().Replace(e.Message, "").TrimEnd('.', ' ');
        return $"The routing file ({where}) is not valid JSON: {reason}.";
    }

    /// <summary>A value inside one part of the file (an agent's settings, read on their own): "agents.x.maxOutputKb must be a whole number".</summary>
    public static string DescribeValue(JsonException e, string prefix)
    {
        var path = Setting(e.Path);
        var setting = path.Length > 0 ? $"{prefix}.{path}" : prefix;
        return NotConvertible().Match(e.Message) is { Success: true } conversion
            ? $"{setting} must be {Accepted(conversion.Groups["type"].Value)}."
            : $"{setting} is not valid: {PositionSuffix().Replace(e.Message, "").TrimEnd('.', ' ')}.";
    }

    /// <summary>"$.routes[0].branch" → "routes[0].branch"; "$['jobs']['a b']" stays readable.</summary>
    private static string Setting(string? path) => path is null or "$" ? "" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static string Accepted(string type) => type switch
    {
        "System.TimeSpan" => "a duration: \"00:30:00\" (hours:minutes:seconds), or a number with a unit such as \"90s\", \"30m\", \"1h\" or \"2d\"",
        "System.Int32" or "System.Int64" => "a whole number (without quotes)",
        "System.Boolean" => "true or false (without quotes)",
        "System.String" => "a string in double quotes",
        _ when type.StartsWith("System.Collections.Generic.List`1[System.String", StringComparison.Ordinal) => "a list of strings, e.g. [\"main\"]",
        _ when type.StartsWith("System.Collections.Generic.List", StringComparison.Ordinal) => "a list [ … ]",
        _ when type.StartsWith("System.Collections.Generic.Dictionary", StringComparison.Ordinal) => "an object { … }",
        _ => "an object { … } with the settings described in docs/routing.md",
    };

    /// <summary>The JSON names of a routing type's settings (camelCase, as the file writes them).</summary>
    private static List<string> SettingNames(string typeName)
    {
        var type = typeof(RoutingConfig).Assembly.GetType(typeName);
        return type is null ? [] :
            [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))];
    }

    [GeneratedRegex(@"The JSON property '(?<name>[^']*)' could not be mapped to any \.NET member contained in type '(?<type>[^']*)'")]
    private static partial Regex UnmappedMember();

    [GeneratedRegex(@"The JSON value could not be converted to (?<type>\S+?)\.? Path:")]
    private static partial Regex NotConvertible();

    [GeneratedRegex(@"\s*(Path: \S*)?\s*\|?\s*LineNumber: \d+ \| BytePositionInLine: \d+\.?$")]
    private static partial Regex PositionSuffix();
}

/// <summary>
/// A routing-file duration: "hh:mm:ss" (also "d.hh:mm:ss"), or a number with a unit — "90s", "30m",
/// "1.5h", "2d". Anything else fails the parse, reported by <see cref="RoutingFileErrors"/>.
/// </summary>
public sealed partial class DurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && TryParse(reader.GetString()!, out var value)) return value;
        throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString("c", CultureInfo.InvariantCulture));

    public static bool TryParse(string text, out TimeSpan value)
    {
        text = text.Trim();
        if (WithUnit().Match(text) is { Success: true } m)
        {
            var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            value = m.Groups["unit"].Value switch
            {
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
            return true;
        }
        return TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out value);
    }

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)(?<unit>[smhd])$")]
    private static partial Regex WithUnit();
}
