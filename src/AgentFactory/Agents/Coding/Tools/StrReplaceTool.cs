using System.Globalization;
using System.Text;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// <c>str_replace(path, old_str, new_str)</c>: replaces the one exact occurrence of <c>old_str</c>.
/// Refused, with what to do instead, when it is missing or occurs more than once (the lines are
/// named). After the edit the file is parsed where a cheap check exists (<see cref="SyntaxCheck"/>):
/// an edit that breaks a file that parsed before is undone and the parser's first error is returned.
/// On success the edited region is shown with line numbers. Line endings and a UTF-8 byte-order mark
/// are kept: in a CRLF file, old_str and new_str written with \n match and are written with \r\n.
/// </summary>
public sealed class StrReplaceTool : CodingTool
{
    private const int SnippetContext = 4;

    public override string Name => "str_replace";

    public override string Description =>
        "Replace an exact piece of text in a file with new text. old_str must match the file exactly (whitespace and indentation included) " +
        "and occur exactly once: include enough surrounding lines to make it unique. new_str may be empty to delete. " +
        "If the edit leaves a JSON, XML, C#, Python or JavaScript file unparseable, it is rejected and the file is left unchanged. " +
        "The result shows the edited region with line numbers.";

    public override string ParametersSchema => """
        {
          "type": "object",
          "properties": {
            "path": { "type": "string", "description": "The file to edit, relative to the repository root." },
            "old_str": { "type": "string", "description": "The exact text to replace; must occur exactly once in the file." },
            "new_str": { "type": "string", "description": "The text to put in its place (empty to delete it)." }
          },
          "required": ["path", "old_str", "new_str"],
          "additionalProperties": false
        }
        """;

    protected override async Task<ToolResult> RunAsync(ToolArguments args, ToolContext context, CancellationToken ct)
    {
        var file = context.Paths.Resolve(args.RequiredText("path", "the file to edit, relative to the repository root"), PathAccess.Write);
        var oldStr = args.RequiredString("old_str", "the exact text to replace");
        var newStr = args.RequiredString("new_str", "the replacement text (may be empty)");
        if (oldStr.Length == 0)
            return ToolResult.Error("old_str is empty. Give the exact text to replace (view_file shows it); to make a new file, use create_file.");
        if (oldStr == newStr) return ToolResult.Error("old_str and new_str are the same, so there is nothing to change.");

        var original = TextFile.ReadForEdit(file);
        var text = original.Text;
        if (text.Contains("\r\n", StringComparison.Ordinal) && !oldStr.Contains('\r', StringComparison.Ordinal))
        {
            oldStr = oldStr.Replace("\n", "\r\n", StringComparison.Ordinal);
            newStr = newStr.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
        }

        var at = Occurrences(text, oldStr);
        if (at.Count == 0) return ToolResult.Error(NotFound(file, text, oldStr));
        if (at.Count > 1)
        {
            var lines = string.Join(", ", at.Take(20).Select(i => TextFile.LineAt(text, i)));
            return ToolResult.Error($"old_str occurs {at.Count} times in {file.Display} (starting on lines {lines}{(at.Count > 20 ? ", …" : "")}). Nothing was changed. Include more of the surrounding lines in old_str so that it matches exactly once.");
        }

        var edited = string.Concat(text.AsSpan(0, at[0]), newStr, text.AsSpan(at[0] + oldStr.Length));
        var firstLine = TextFile.LineAt(text, at[0]);
        var lastLine = firstLine + newStr.AsSpan().Count('\n') - (newStr.EndsWith('\n') ? 1 : 0);
        var originalBytes = await File.ReadAllBytesAsync(file.FullPath, ct);
        await File.WriteAllBytesAsync(file.FullPath, original.Encode(edited), ct);

        var note = "";
        if (await SyntaxCheck.CheckAsync(file, context, ct) is { } problem)
        {
            await File.WriteAllBytesAsync(file.FullPath, originalBytes, ct);
            if (await SyntaxCheck.CheckAsync(file, context, ct) is null)
                return ToolResult.Error(Rejected(file, edited, problem));
            // The file did not parse before either: the edit is not what broke it, so it is kept.
            await File.WriteAllBytesAsync(file.FullPath, original.Encode(edited), ct);
            note = $"\nNote: {file.Display} did not parse before this edit either, and still does not: {problem}.\n";
        }

        context.NoteChange();
        var snippet = TextFile.Numbered(TextFile.SplitLines(edited), firstLine - SnippetContext, Math.Max(firstLine, lastLine) + SnippetContext);
        var region = lastLine < firstLine ? $"text removed at line {firstLine}" : lastLine == firstLine ? $"line {firstLine}" : $"lines {firstLine}-{lastLine}";
        return ToolResult.Ok(
            $"Edited {file.Display} ({region} now). The region after the edit:\n{snippet}{note}Review it; if it is not right, make another str_replace.",
            $"edited {file.Display}, {region}");
    }

    private static List<int> Occurrences(string text, string value)
    {
        var found = new List<int>();
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
            found.Add(i);
        return found;
    }

    private static string NotFound(ResolvedPath file, string text, string oldStr)
    {
        var sb = new StringBuilder($"old_str was not found in {file.Display}, so nothing was changed. It must match the file exactly, including whitespace and indentation.");
        // Where its first line appears on its own, the rest of old_str is what differs: say where to look.
        var first = oldStr.Split('\n')[0].Trim();
        if (first.Length >= 3)
        {
            var lines = TextFile.SplitLines(text);
            var near = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains(first, StringComparison.Ordinal)).Take(5).Select(i => (i + 1).ToString(CultureInfo.InvariantCulture)).ToList();
            if (near.Count > 0) sb.Append(CultureInfo.InvariantCulture, $" Its first line appears on line {string.Join(", ", near)}: the lines after it differ.");
        }
        sb.Append(" View the file (view_file) and copy the text exactly.");
        return sb.ToString();
    }

    private static string Rejected(ResolvedPath file, string edited, SyntaxProblem problem)
    {
        var sb = new StringBuilder($"Edit rejected: after it, {file.Display} would no longer parse ({problem}). The file is unchanged. Fix new_str and try again.");
        if (problem.Line is { } line)
        {
            sb.Append("\nThe edited file would have read:\n");
            sb.Append(TextFile.Numbered(TextFile.SplitLines(edited), line - 3, line + 3));
        }
        return sb.ToString();
    }
}
