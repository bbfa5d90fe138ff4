using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentFactory.Agents.CodeReview;

/// <summary>One changed file as GitHub's compare/commit/pull-request files APIs report it.</summary>
/// <param name="Patch">The unified diff hunks (from "@@"); null for binary files and diffs GitHub found too large.</param>
/// <param name="SizeBytes">The file's size at the new commit, when a checkout was available.</param>
public sealed record FileChange(string Path, string Status, int Additions, int Deletions, string? Patch, long? SizeBytes = null)
{
    public int Changes => Additions + Deletions;
}

public enum FindingKind
{
    Secret,
    ConflictMarker,
    LargeFile,
    LargeChange,
    LargeDiff,
    NoDiff,
}

/// <param name="Line">The line in the new version of the file, when the finding is on one.</param>
public sealed record Finding(FindingKind Kind, string Path, int? Line, string Message);

/// <summary>Thresholds for "oversized"; the defaults suit ordinary source repositories.</summary>
public sealed record ReviewLimits(int LargeFileChangeLines = 500, int LargeDiffLines = 2000, long LargeFileBytes = 1_000_000, int MaxTableRows = 50);

/// <summary>
/// The deterministic review: what changed per file, likely secrets, merge-conflict markers and
/// oversized files or diffs, from the added lines of the patches. Pure, so it is unit-tested; it is
/// the whole review without an LLM and the "automated checks" section with one. Secrets are never
/// repeated in full: a review comment is as public as the repository.
/// </summary>
public static partial class DiffReview
{
    private static readonly (string Name, Regex Pattern)[] Secrets =
    [
        ("AWS access key ID", AwsKeyId()),
        ("AWS secret access key", AwsSecret()),
        ("private key", PrivateKey()),
        ("GitHub token", GitHubToken()),
        ("Slack token", SlackToken()),
        ("password or secret in code", PasswordAssignment()),
    ];

    public static IReadOnlyList<Finding> Analyze(IReadOnlyList<FileChange> files, ReviewLimits limits)
    {
        var findings = new List<Finding>();
        foreach (var file in files)
        {
            if (file.Patch is { } patch) findings.AddRange(ScanAddedLines(file.Path, patch));
            else if (file.Status != "removed")
                findings.Add(new(FindingKind.NoDiff, file.Path, null, file.Changes == 0
                    ? "binary file: no text diff to check"
                    : "GitHub sent no diff for this file (too large), so it was not checked for secrets or conflict markers"));
            if (file.SizeBytes is { } size && size > limits.LargeFileBytes)
                findings.Add(new(FindingKind.LargeFile, file.Path, null, $"the file is {Megabytes(size)} MB; large files bloat every clone (consider Git LFS or keeping it out of the repository)"));
            if (file.Changes > limits.LargeFileChangeLines)
                findings.Add(new(FindingKind.LargeChange, file.Path, null, $"{file.Changes} lines changed in one file (limit {limits.LargeFileChangeLines}); is it generated or vendored, or can it be split?"));
        }
        var total = files.Sum(f => f.Changes);
        if (total > limits.LargeDiffLines)
            findings.Add(new(FindingKind.LargeDiff, "", null, $"{total} lines changed in all (limit {limits.LargeDiffLines}): large changes are hard to review; consider smaller pushes"));
        return findings;
    }

    private static IEnumerable<Finding> ScanAddedLines(string path, string patch)
    {
        var markers = new List<int>();
        var separators = new List<int>();
        foreach (var (line, text) in AddedLines(patch))
        {
            foreach (var (name, pattern) in Secrets)
            {
                var m = pattern.Match(text);
                if (!m.Success || (m.Groups["value"].Success && IsPlaceholder(m.Groups["value"].Value))) continue;
                yield return new(FindingKind.Secret, path, line, $"possible {name}: `{Redact(m)}` — remove it and rotate the credential (it stays in the history)");
                break;
            }
            if (text.StartsWith("<<<<<<<", StringComparison.Ordinal) || text.StartsWith(">>>>>>>", StringComparison.Ordinal)) markers.Add(line);
            else if (text.TrimEnd() == "=======") separators.Add(line);
        }
        // "=======" alone is also a Markdown/RST heading underline: count it only beside real markers.
        if (markers.Count > 0)
        {
            var all = markers.Concat(separators).Order().ToList();
            yield return new(FindingKind.ConflictMarker, path, all[0], $"merge-conflict marker{(all.Count > 1 ? $"s ({all.Count}, lines {string.Join(", ", all.Take(6))})" : "")}: the merge was committed unresolved");
        }
    }

    /// <summary>The added lines of a unified diff with their line numbers in the new file.</summary>
    public static IEnumerable<(int Line, string Text)> AddedLines(string patch)
    {
        var line = 0;
        foreach (var raw in patch.Split('\n'))
        {
            var text = raw.TrimEnd('\r');
            if (text.StartsWith("@@", StringComparison.Ordinal))
            {
                var m = HunkHeader().Match(text);
                if (m.Success) line = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                continue;
            }
            if (text.StartsWith("+++", StringComparison.Ordinal) || text.StartsWith("---", StringComparison.Ordinal) && line == 0) continue;
            if (text.StartsWith('+')) yield return (line++, text[1..]);
            else if (text.StartsWith(' ') || text.Length == 0) line++;
        }
    }

    private static bool IsPlaceholder(string value) => PlaceholderValue().IsMatch(value);

    /// <summary>Enough of a match to find it, never the secret: "ghp_…", "password = …".</summary>
    private static string Redact(Match m) => m.Groups["value"].Success
        ? m.Value[..(m.Groups["value"].Index - m.Index)].Trim().TrimEnd('"', '\'').TrimEnd() + " …"
        : m.Value[..Math.Min(m.Value.Length, m.Value.StartsWith("-----", StringComparison.Ordinal) ? m.Value.Length : 4)] + (m.Value.StartsWith("-----", StringComparison.Ordinal) ? "" : "…");

    public static string ToMarkdown(IReadOnlyList<FileChange> files, IReadOnlyList<Finding> findings, ReviewLimits limits)
    {
        var md = new StringBuilder(FileTable(files, limits));
        if (findings.Count == 0)
        {
            md.Append("No likely secrets, merge-conflict markers or oversized changes found.\n");
            return md.ToString();
        }
        md.Append("**Findings**\n\n");
        foreach (var f in findings.OrderBy(f => f.Kind))
        {
            var where = f.Path.Length == 0 ? "" : $" in {Code(f.Path)}" + (f.Line is { } l ? $" line {l}" : "");
            md.Append(CultureInfo.InvariantCulture, $"- {Icon(f.Kind)} **{Title(f.Kind)}**{where}: {f.Message}\n");
        }
        return md.ToString();
    }

    /// <summary>"N files changed, +a −d" and the table of files (the first <see cref="ReviewLimits.MaxTableRows"/>).</summary>
    public static string FileTable(IReadOnlyList<FileChange> files, ReviewLimits limits)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"**{files.Count} file{(files.Count == 1 ? "" : "s")} changed**, +{files.Sum(f => f.Additions)} −{files.Sum(f => f.Deletions)}\n\n");
        if (files.Count > 0)
        {
            md.Append("| File | Change | + | − |\n|---|---|--:|--:|\n");
            foreach (var f in files.Take(limits.MaxTableRows))
                md.Append(CultureInfo.InvariantCulture, $"| {Code(f.Path)} | {f.Status} | {f.Additions} | {f.Deletions} |\n");
            var rest = files.Skip(limits.MaxTableRows).ToList();
            if (rest.Count > 0)
                md.Append(CultureInfo.InvariantCulture, $"| … {rest.Count} more | | {rest.Sum(f => f.Additions)} | {rest.Sum(f => f.Deletions)} |\n");
            md.Append('\n');
        }
        return md.ToString();
    }

    private static string Icon(FindingKind kind) => kind switch
    {
        FindingKind.Secret => "🔐",
        FindingKind.ConflictMarker => "⚔️",
        FindingKind.NoDiff => "ℹ️",
        _ => "📦",
    };

    public static string Title(FindingKind kind) => kind switch
    {
        FindingKind.Secret => "Possible secret",
        FindingKind.ConflictMarker => "Merge-conflict marker",
        FindingKind.LargeFile => "Large file",
        FindingKind.LargeChange => "Large change",
        FindingKind.LargeDiff => "Large diff",
        _ => "Not checked",
    };

    public static string Code(string text) => "`" + text.Replace('`', '\'') + "`";

    private static string Megabytes(long bytes) => (bytes / 1_000_000.0).ToString("0.0", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")]
    private static partial Regex HunkHeader();

    [GeneratedRegex(@"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")]
    private static partial Regex AwsKeyId();

    [GeneratedRegex(@"(?i)aws_?secret_?access_?key[""']?\s*[:=]\s*[""']?(?<value>[A-Za-z0-9/+=]{40})")]
    private static partial Regex AwsSecret();

    [GeneratedRegex(@"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\bxox[abposr]-[A-Za-z0-9-]{10,}")]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"(?i)\b\w*?(?:password|passwd|pwd|secret|api_?key|access_?token|client_?secret)\b[""']?\s*[:=]\s*[""']?(?<value>[^\s""'`]{4,})")]
    private static partial Regex PasswordAssignment();

    [GeneratedRegex(@"(?i)^(?:null|none|nil|true|false|undefined|\*+|x{3,}|<.*|\$.*|\{.*|%.*|os\.|process\.|env\b|getenv|settings\.|config\.|self\.|this\.|options\.|input\(|prompt|[^(]*\()")]
    private static partial Regex PlaceholderValue();
}
