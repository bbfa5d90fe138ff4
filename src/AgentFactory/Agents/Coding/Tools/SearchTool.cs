using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.FileSystemGlobbing;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// <c>search(pattern, path?, kind?)</c>: file names by glob (kind "files") or lines by regular
/// expression (kind "content", the default; a pattern that is not a valid regex is searched as literal
/// text). Looks at the files git tracks or would track under <c>path</c> (see <see cref="WorktreeFiles"/>),
/// never in .git, binary files or files over <see cref="MaxFileBytes"/>. Results are bounded
/// (<see cref="MaxMatches"/> lines of at most <see cref="MaxLineLength"/> characters, or
/// <see cref="MaxFiles"/> names) with a note of how many more matched.
/// </summary>
public sealed class SearchTool : CodingTool
{
    public const int MaxMatches = 50;
    public const int MaxFiles = 100;
    public const int MaxLineLength = 200;
    public const int MaxFileBytes = 2 * 1024 * 1024;
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    public override string Name => "search";

    public override string Description =>
        "Search the repository. kind \"content\" (default): lines matching a regular expression (.NET syntax; (?i) at the start ignores case; " +
        "an invalid regex is searched as plain text), shown as path:line: text. kind \"files\": file paths matching a glob (* within a name, ** across " +
        "directories; a glob without / matches file names at any depth, e.g. \"*.py\" or \"test_*\"). Ignored files (.gitignore), .git and binary files are skipped. " +
        $"At most {MaxMatches} lines or {MaxFiles} paths are shown, with a count of the rest: narrow the pattern or give a path.";

    public override string ParametersSchema => """
        {
          "type": "object",
          "properties": {
            "pattern": { "type": "string", "description": "A regular expression (kind \"content\") or a glob (kind \"files\")." },
            "path": { "type": "string", "description": "Directory or file to search in, relative to the repository root. Default \".\" (everything)." },
            "kind": { "type": "string", "enum": ["content", "files"], "description": "\"content\" searches inside files (default); \"files\" matches file paths." }
          },
          "required": ["pattern"],
          "additionalProperties": false
        }
        """;

    protected override async Task<ToolResult> RunAsync(ToolArguments args, ToolContext context, CancellationToken ct)
    {
        var pattern = args.RequiredText("pattern", "the regular expression or glob to search for");
        var kind = args.Choice("kind", "content", "content", "files");
        var under = context.Paths.Resolve(args.OptionalString("path"), PathAccess.Read);
        if (!Directory.Exists(under.FullPath) && !File.Exists(under.FullPath))
            return ToolResult.Error($"{under.Display} does not exist. Give a directory or file relative to the repository root, or leave path out to search everything.");

        var files = await WorktreeFiles.ListAsync(context, under, ct);
        var where = under.Display == "." ? "" : $" under {under.Display}";
        return kind == "files" ? Files(context, pattern, under, files, where) : await ContentAsync(context, pattern, files, where, ct);
    }

    private static ToolResult Files(ToolContext context, string glob, ResolvedPath under, List<string> files, string where)
    {
        var normalized = glob.Trim().TrimStart('/');
        if (normalized.StartsWith("./", StringComparison.Ordinal)) normalized = normalized[2..];
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddInclude(normalized.Contains('/', StringComparison.Ordinal) ? normalized : "**/" + normalized);
        var root = Directory.Exists(under.FullPath) ? under.FullPath : Path.GetDirectoryName(under.FullPath)!;
        var matches = matcher.Match(root, files).Files
            .Select(m => context.Paths.Display(Path.GetFullPath(m.Path, root)))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (matches.Count == 0)
            return ToolResult.Ok($"No file matches \"{glob}\"{where}. Globs use * within a name and ** across directories; a glob without / matches file names at any depth.", $"files \"{glob}\": none");

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{matches.Count} files match \"{glob}\"{where}:\n");
        foreach (var m in matches.Take(MaxFiles)) sb.Append(m).Append('\n');
        if (matches.Count > MaxFiles)
            sb.Append(CultureInfo.InvariantCulture, $"[{matches.Count - MaxFiles} more not shown: narrow the glob or give a path]\n");
        return ToolResult.Ok(sb.ToString(), $"files \"{glob}\": {matches.Count}");
    }

    private static async Task<ToolResult> ContentAsync(ToolContext context, string pattern, List<string> files, string where, CancellationToken ct)
    {
        var (regex, literalNote) = Compile(pattern);
        var shown = new StringBuilder();
        int lines = 0, inFiles = 0, shownFiles = 0, large = 0;
        try
        {
            foreach (var file in files)
            {
                ct.ThrowIfCancellationRequested();
                if (new FileInfo(file).Length > MaxFileBytes) { large++; continue; }
                var bytes = await File.ReadAllBytesAsync(file, ct);
                if (bytes.AsSpan(0, Math.Min(bytes.Length, 8000)).Contains((byte)0)) continue;
                var text = Encoding.UTF8.GetString(bytes);
                var display = context.Paths.Display(file);
                var hits = 0;
                var number = 0;
                foreach (var line in text.AsSpan().EnumerateLines())
                {
                    number++;
                    var match = regex.EnumerateMatches(line);
                    if (!match.MoveNext()) continue;
                    hits++;
                    if (++lines > MaxMatches) continue;
                    shown.Append(CultureInfo.InvariantCulture, $"{display}:{number}: ").Append(Excerpt(line.ToString(), match.Current.Index)).Append('\n');
                }
                if (hits == 0) continue;
                inFiles++;
                if (lines - hits < MaxMatches) shownFiles++;
            }
        }
        catch (RegexMatchTimeoutException)
        {
            return ToolResult.Error($"The pattern \"{pattern}\" takes too long to match (it backtracks heavily). Simplify it, or search for a plain piece of the text.");
        }

        var what = literalNote is null ? $"\"{pattern}\"" : $"the text \"{pattern}\"";
        var sb = new StringBuilder();
        if (literalNote is not null) sb.Append(literalNote).Append('\n');
        var skipped = large > 0 ? $" ({large} files over {MaxFileBytes / (1024 * 1024)} MB were not searched)" : "";
        if (lines == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"No line matches {what}{where}{skipped}.");
            return ToolResult.Ok(sb.ToString(), $"content \"{pattern}\": none");
        }
        sb.Append(CultureInfo.InvariantCulture, $"{lines} matching lines in {inFiles} files for {what}{where}{skipped}:\n").Append(shown);
        if (lines > MaxMatches)
            sb.Append(CultureInfo.InvariantCulture, $"[{lines - MaxMatches} more matching lines{(inFiles > shownFiles ? $" (in {inFiles - shownFiles} more files)" : "")} not shown: narrow the pattern or give a path]\n");
        return ToolResult.Ok(sb.ToString(), $"content \"{pattern}\": {lines} lines in {inFiles} files");
    }

    private static (Regex Regex, string? LiteralNote) Compile(string pattern)
    {
        try
        {
            return (new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout), null);
        }
        catch (ArgumentException e)
        {
            return (new Regex(Regex.Escape(pattern), RegexOptions.CultureInvariant, MatchTimeout),
                $"[\"{pattern}\" is not a valid regular expression ({e.Message.Split(" - ")[^1].Trim()}), so it was searched as plain text]");
        }
    }

    /// <summary>The line without its indentation, cut around the match when it is long.</summary>
    private static string Excerpt(string line, int matchIndex)
    {
        var trimmed = line.TrimStart();
        var index = Math.Max(0, matchIndex - (line.Length - trimmed.Length));
        if (trimmed.Length <= MaxLineLength) return trimmed;
        var from = Math.Clamp(index - (MaxLineLength / 4), 0, trimmed.Length - MaxLineLength);
        return string.Concat(from > 0 ? "…" : "", trimmed.AsSpan(from, MaxLineLength), from + MaxLineLength < trimmed.Length ? "…" : "");
    }
}
