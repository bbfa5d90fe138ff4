using System.Globalization;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// <c>create_file(path, content)</c>: writes a new text file (UTF-8), creating its parent directories.
/// An existing file is never overwritten (str_replace changes it). The same syntax check as
/// str_replace runs: content that does not parse is not kept (the file and the directories made for
/// it are removed) and the parser's first error is returned.
/// </summary>
public sealed class CreateFileTool : CodingTool
{
    public override string Name => "create_file";

    public override string Description =>
        "Create a new file with the given content, making parent directories as needed. Refused if the path already exists: " +
        "use str_replace to change an existing file. A JSON, XML, C#, Python or JavaScript file whose content does not parse is not created.";

    public override string ParametersSchema => """
        {
          "type": "object",
          "properties": {
            "path": { "type": "string", "description": "The new file's path, relative to the repository root, e.g. \"tests/test_parser.py\"." },
            "content": { "type": "string", "description": "The whole content of the file." }
          },
          "required": ["path", "content"],
          "additionalProperties": false
        }
        """;

    protected override async Task<ToolResult> RunAsync(ToolArguments args, ToolContext context, CancellationToken ct)
    {
        var file = context.Paths.Resolve(args.RequiredText("path", "the new file's path, relative to the repository root"), PathAccess.Write);
        var content = args.RequiredString("content", "the whole content of the file");
        if (content.Length > TextFile.MaxEditBytes)
            return ToolResult.Error($"content is larger than {TextFile.MaxEditBytes / (1024 * 1024)} MB; write a smaller file, or generate it with run_shell.");
        if (Directory.Exists(file.FullPath))
            return ToolResult.Error($"{file.Display} is an existing directory. Give the path of a new file inside it.");
        if (File.Exists(file.FullPath) || new FileInfo(file.FullPath).LinkTarget is not null)
            return ToolResult.Error($"{file.Display} already exists, and create_file does not overwrite. Use str_replace to change it (view_file shows its content).");

        var made = MakeParents(Path.GetDirectoryName(file.FullPath)!);
        // CreateNew: fails rather than follows, should something appear at the path meanwhile.
        await using (var stream = new FileStream(file.FullPath, FileMode.CreateNew, FileAccess.Write))
            await stream.WriteAsync(TextFile.EncodeNew(content), ct);

        if (await SyntaxCheck.CheckAsync(file, context, ct) is { } problem)
        {
            File.Delete(file.FullPath);
            foreach (var dir in made) Directory.Delete(dir);
            var shown = problem.Line is { } line ? "\nThe content would have read:\n" + TextFile.Numbered(TextFile.SplitLines(content), line - 3, line + 3) : "";
            return ToolResult.Error($"{file.Display} was not created: its content does not parse ({problem}). Fix the content and try again.{shown}");
        }

        context.NoteChange();
        var lines = TextFile.SplitLines(content).Length;
        return ToolResult.Ok($"Created {file.Display} ({lines.ToString(CultureInfo.InvariantCulture)} lines).", $"created {file.Display}, {lines} lines");
    }

    /// <summary>Creates the missing directories, returning them deepest first (to undo).</summary>
    private static List<string> MakeParents(string dir)
    {
        var missing = new List<string>();
        for (var d = dir; !Directory.Exists(d); d = Path.GetDirectoryName(d)!) missing.Add(d);
        Directory.CreateDirectory(dir);
        return missing;
    }
}
