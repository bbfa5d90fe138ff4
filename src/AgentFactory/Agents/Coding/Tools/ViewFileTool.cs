using System.Globalization;
using System.Text;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// <c>view_file(path, start_line?, end_line?)</c>: a window of a text file with line numbers (like
/// <c>cat -n</c>), headed by the path and the total line count and followed by how to see more; a
/// directory lists its entries. Binary files are refused. Windows hold at most
/// <see cref="MaxWindow"/> lines and each line at most <see cref="MaxLineLength"/> characters, so one
/// call never floods the model's context.
/// </summary>
public sealed class ViewFileTool : CodingTool
{
    public const int DefaultWindow = 100;
    public const int MaxWindow = 400;
    public const int MaxLineLength = 500;
    public const int MaxEntries = 200;

    public override string Name => "view_file";

    public override string Description =>
        $"Show a file with line numbers, {DefaultWindow} lines at a time (start_line/end_line choose the window, at most {MaxWindow} lines), " +
        "with the file's total line count and how to see more. On a directory, list its entries (directories end with /). " +
        "Paths are relative to the repository root; \".\" is the root.";

    public override string ParametersSchema => """
        {
          "type": "object",
          "properties": {
            "path": { "type": "string", "description": "File or directory, relative to the repository root, e.g. \"src/app.py\" or \".\"." },
            "start_line": { "type": "integer", "minimum": 1, "description": "First line to show (1-based). Default 1." },
            "end_line": { "type": "integer", "description": "Last line to show, inclusive; -1 means to the end of the file (within the window limit). Default start_line + 99." }
          },
          "required": ["path"],
          "additionalProperties": false
        }
        """;

    protected override async Task<ToolResult> RunAsync(ToolArguments args, ToolContext context, CancellationToken ct)
    {
        var file = context.Paths.Resolve(args.RequiredText("path", "the file or directory to view, relative to the repository root"), PathAccess.Read);
        if (Directory.Exists(file.FullPath)) return List(file);
        if (!File.Exists(file.FullPath))
            return ToolResult.Error($"{file.Display} does not exist. Use search with kind \"files\" to find the file, or view_file on a directory (\".\" is the root) to list it.");
        if (TextFile.IsBinary(file.FullPath))
            return ToolResult.Error($"{file.Display} is a binary file (it contains NUL bytes), which view_file does not show. To inspect it, use run_shell, e.g. `file {file.Display}` or `xxd {file.Display} | head`.");

        var start = args.OptionalInt("start_line") ?? 1;
        var end = args.OptionalInt("end_line");
        if (start < 1) return ToolResult.Error("start_line must be 1 or more (lines are numbered from 1).");
        if (end is { } e0 && e0 != -1 && e0 < start) return ToolResult.Error($"end_line ({e0}) is before start_line ({start}); give end_line ≥ start_line, or -1 for the end of the file.");

        var lastWanted = end is null ? start + DefaultWindow - 1 : end == -1 ? int.MaxValue : end.Value;
        var lastShown = (int)Math.Min(lastWanted, (long)start + MaxWindow - 1);
        var (window, total) = await ReadWindowAsync(file.FullPath, start, lastShown, ct);

        if (total == 0) return ToolResult.Ok($"{file.Display} is empty (0 lines).", $"{file.Display}: empty");
        if (start > total)
            return ToolResult.Error($"start_line {start} is past the end of {file.Display}, which has {total} lines. Give a start_line from 1 to {total}.");

        lastShown = Math.Min(lastShown, total);
        var sb = new StringBuilder();
        sb.Append(start == 1 && lastShown == total
            ? $"{file.Display} ({total} lines)\n"
            : $"{file.Display} (lines {start}-{lastShown} of {total})\n");
        var number = start;
        foreach (var line in window)
            sb.Append(CultureInfo.InvariantCulture, $"{number++,6}\t").Append(TextFile.CutLine(line, MaxLineLength)).Append('\n');
        if (lastShown < total)
        {
            var capped = lastWanted > lastShown && lastWanted != int.MaxValue && end is not null ? $" (a window holds at most {MaxWindow} lines)" : "";
            sb.Append(CultureInfo.InvariantCulture, $"[{total - lastShown} more lines{capped}: view_file with start_line={lastShown + 1} shows the next ones]\n");
        }
        if (start > 1) sb.Append(CultureInfo.InvariantCulture, $"[lines 1-{start - 1} are above this window]\n");
        return ToolResult.Ok(sb.ToString(), $"{file.Display}: lines {start}-{lastShown} of {total}");
    }

    /// <summary>The lines of the window, and the file's line count (read to its end).</summary>
    private static async Task<(List<string> Window, int Total)> ReadWindowAsync(string fullPath, int start, int end, CancellationToken ct)
    {
        var window = new List<string>();
        var total = 0;
        using var reader = new StreamReader(fullPath, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            total++;
            if (total >= start && total <= end) window.Add(line);
        }
        return (window, total);
    }

    private static ToolResult List(ResolvedPath dir)
    {
        var entries = new DirectoryInfo(dir.FullPath).EnumerateFileSystemInfos()
            .Select(e => e.LinkTarget is not null ? e.Name + "@" : e is DirectoryInfo ? e.Name + "/" : e.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{dir.Display}/ ({entries.Count} entries; directories end with /, symbolic links with @)\n");
        foreach (var entry in entries.Take(MaxEntries)) sb.Append(entry).Append('\n');
        if (entries.Count > MaxEntries)
            sb.Append(CultureInfo.InvariantCulture, $"[{entries.Count - MaxEntries} more entries not shown: use search with kind \"files\" and a glob to find what you need]\n");
        if (entries.Count == 0) sb.Append("(empty directory)\n");
        return ToolResult.Ok(sb.ToString(), $"{dir.Display}/: {entries.Count} entries");
    }
}
