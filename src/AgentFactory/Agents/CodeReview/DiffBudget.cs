using System.Globalization;
using System.Text;

namespace AgentFactory.Agents.CodeReview;

/// <summary>The diff as it goes into a prompt, and what had to be left out to fit.</summary>
public sealed record BudgetedDiff(string Text, IReadOnlyList<string> Truncated, IReadOnlyList<string> Omitted)
{
    public bool Complete => Truncated.Count == 0 && Omitted.Count == 0;

    /// <summary>One sentence for the prompt and the review footer; empty when nothing was left out.</summary>
    public string Note()
    {
        if (Complete) return "";
        var parts = new List<string>();
        if (Truncated.Count > 0) parts.Add($"cut short: {string.Join(", ", Truncated)}");
        if (Omitted.Count > 0) parts.Add($"left out entirely: {string.Join(", ", Omitted)}");
        return $"To fit the input budget, parts of the diff were not shown ({string.Join("; ", parts)}).";
    }
}

/// <summary>
/// Fits a diff into a character budget (the prompt's token budget × ~4 characters per token), file
/// by file in the order given (<see cref="Rank"/> first for the review's order): whole files while
/// they fit, then the head of the next one, and the rest are named but left out. Pure.
/// </summary>
public static class DiffBudget
{
    private static readonly string[] GeneratedNames =
    [
        "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "npm-shrinkwrap.json", "composer.lock", "gemfile.lock", "cargo.lock",
        "poetry.lock", "pipfile.lock", "go.sum", "packages.lock.json", "flake.lock", "mix.lock", "pubspec.lock", "podfile.lock", "uv.lock",
    ];

    private static readonly string[] GeneratedParts = ["/vendor/", "/node_modules/", "/dist/", "/generated/", "/__snapshots__/", "/third_party/"];

    private static readonly string[] GeneratedEndings = [".min.js", ".min.css", ".map", ".lock", ".snap", ".designer.cs", ".g.cs", ".pb.go", "_pb2.py", ".svg"];

    /// <summary>
    /// The order files are reviewed in when not all fit: source and docs first, then removed files
    /// (nothing on the new side to comment on), then files without a text diff, then lock, vendored,
    /// minified and generated files; within each, the smaller change first, so one huge file cannot
    /// crowd out many small ones.
    /// </summary>
    public static IReadOnlyList<FileChange> Rank(IReadOnlyList<FileChange> files) =>
        [.. files.OrderBy(Tier).ThenBy(f => f.Changes).ThenBy(f => f.Path, StringComparer.Ordinal)];

    public static bool IsGenerated(string path)
    {
        var lower = "/" + path.ToLowerInvariant();
        var name = lower[(lower.LastIndexOf('/') + 1)..];
        return GeneratedNames.Contains(name) || GeneratedParts.Any(p => lower.Contains(p, StringComparison.Ordinal))
            || GeneratedEndings.Any(e => name.EndsWith(e, StringComparison.Ordinal));
    }

    private static int Tier(FileChange f) => IsGenerated(f.Path) ? 3 : f.Patch is null ? 2 : f.Status == "removed" ? 1 : 0;

    /// <summary>A cut file keeps at least this much, or it is left out instead: a few lines of a hunk help nobody.</summary>
    public const int MinUsefulChars = 400;

    public static BudgetedDiff Fit(IReadOnlyList<FileChange> files, int maxChars)
    {
        var text = new StringBuilder();
        var truncated = new List<string>();
        var omitted = new List<string>();
        foreach (var file in files)
        {
            var header = string.Create(CultureInfo.InvariantCulture, $"--- {file.Path} ({file.Status}, +{file.Additions} −{file.Deletions})\n");
            var body = file.Patch is null ? "(no text diff: binary or too large)\n" : file.Patch.TrimEnd('\n') + "\n";
            var room = maxChars - text.Length;
            if (header.Length + body.Length <= room)
            {
                text.Append(header).Append(body);
            }
            else if (file.Patch is not null && room - header.Length >= MinUsefulChars && omitted.Count == 0)
            {
                const string cut = "[… the rest of this file's diff was cut to fit the budget]\n";
                var keep = room - header.Length - cut.Length;
                var head = body[..keep];
                var lastNewline = head.LastIndexOf('\n');
                text.Append(header).Append(lastNewline > 0 ? head[..(lastNewline + 1)] : head + "\n").Append(cut);
                truncated.Add(file.Path);
            }
            else
            {
                omitted.Add(file.Path);
            }
        }
        return new BudgetedDiff(text.ToString(), truncated, omitted);
    }
}
