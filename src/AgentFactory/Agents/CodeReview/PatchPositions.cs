using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentFactory.Agents.CodeReview;

/// <summary>
/// Where a line of the new version of a file sits in its patch, as GitHub's review comments count it
/// ("position"): the line below the file's first "@@" header is 1, and the count runs on through
/// later hunks and their "@@" headers. Only lines the patch shows on the new side (added or context)
/// have a position; deleted lines and lines outside every hunk do not. Pure.
/// </summary>
public static partial class PatchPositions
{
    /// <summary>New-side line → position, for every added or context line of <paramref name="patch"/>.</summary>
    public static IReadOnlyDictionary<int, int> Map(string? patch)
    {
        var map = new Dictionary<int, int>();
        if (patch is null) return map;
        var position = -1;
        var line = 0;
        foreach (var raw in patch.Split('\n'))
        {
            var text = raw.TrimEnd('\r');
            if (text.StartsWith("@@", StringComparison.Ordinal))
            {
                var m = HunkHeader().Match(text);
                if (m.Success) line = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                position++;
                continue;
            }
            if (position < 0) continue;
            position++;
            if (text.StartsWith('-') || text.StartsWith('\\')) continue;
            map[line++] = position;
        }
        return map;
    }

    [GeneratedRegex(@"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")]
    private static partial Regex HunkHeader();
}
