using System.Text.RegularExpressions;

namespace AgentFactory.Agents.CodeReview;

/// <summary>
/// The hidden line at the end of a pull-request review that says which head commit it reviewed, so
/// the next push is reviewed from there. Markers are read only from reviews by the service's own
/// account (GITHUB_SERVICE_LOGIN), and HTML comments in the model's text are shown as text before posting, so neither a
/// user's review nor a diff that talks the model into writing one can mark commits as reviewed.
/// </summary>
public static partial class ReviewMarker
{
    public static string For(string sha) => $"<!-- agentfactory:reviewed {sha} -->";

    /// <summary>The last marker's commit SHA in <paramref name="body"/>, or null.</summary>
    public static string? Read(string? body)
    {
        if (body is null) return null;
        var matches = Marker().Matches(body);
        return matches.Count == 0 ? null : matches[^1].Groups[1].Value.ToLowerInvariant();
    }

    /// <summary>Text with every HTML comment opener shown, not hidden: no marker can come from the model's text.</summary>
    public static string Defuse(string text) => text.Replace("<!--", "&lt;!--", StringComparison.Ordinal);

    [GeneratedRegex(@"<!--\s*agentfactory:reviewed\s+([0-9a-fA-F]{40})\s*-->")]
    private static partial Regex Marker();
}
