using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace AgentFactory.Cli;

/// <summary>
/// Numbers on the command line, parsed with messages in the user's terms: `jobs show abc` says what
/// a job id is and where to find one, never "expected type 'System.Int64'".
/// </summary>
public static class CliNumbers
{
    public static Argument<long> JobId(string description) => new("id")
    {
        Description = description,
        CustomParser = r => Whole(r, "The job id", 1, long.MaxValue, "it is the number in the first column of `agentfactory jobs list`") ?? 0,
    };

    public static Option<int> WholeNumber(string name, string description, int fallback, int min, int max) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = r => (int)(Whole(r, name, min, max, null) ?? fallback),
    };

    public static Option<long?> OptionalLong(string name, string description, string hint) => new(name)
    {
        Description = description,
        CustomParser = r => Whole(r, name, 1, long.MaxValue, hint),
    };

    /// <summary>The single token as a whole number within bounds; otherwise an error naming the argument and the accepted values.</summary>
    private static long? Whole(ArgumentResult result, string name, long min, long max, string? hint)
    {
        var raw = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        var range = max == long.MaxValue ? $"a whole number from {min}" : $"a whole number from {min} to {max}";
        result.AddError($"{name} must be {range} (got '{raw}')" + (hint is null ? "." : $"; {hint}."));
        return null;
    }
}
