using System.Globalization;
using System.Text;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// A text file as the edit tools see it: its text, and how to write it back exactly as it was stored
/// (UTF-8 byte-order mark kept). Binary files (a NUL byte in the first 8,000 bytes, git's own test)
/// and files too large to edit in place are refused.
/// </summary>
internal sealed record TextFile(string Text, bool Bom)
{
    public const int MaxEditBytes = 4 * 1024 * 1024;
    private const int BinaryProbe = 8000;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static bool IsBinary(string fullPath)
    {
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        Span<byte> head = stackalloc byte[BinaryProbe];
        var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head[..n].Contains((byte)0);
    }

    public static TextFile ReadForEdit(ResolvedPath file)
    {
        if (Directory.Exists(file.FullPath))
            throw new ToolException($"{file.Display} is a directory, not a file. view_file on it lists its entries.");
        if (!File.Exists(file.FullPath))
            throw new ToolException($"{file.Display} does not exist. Check the path with search (kind \"files\"), or use create_file to make a new file.");
        if (new FileInfo(file.FullPath).Length > MaxEditBytes)
            throw new ToolException($"{file.Display} is larger than {MaxEditBytes / (1024 * 1024)} MB, too large to edit with this tool; use run_shell (e.g. sed) instead.");
        var bytes = File.ReadAllBytes(file.FullPath);
        if (bytes.AsSpan(0, Math.Min(bytes.Length, BinaryProbe)).Contains((byte)0))
            throw new ToolException($"{file.Display} is a binary file (it contains NUL bytes); this tool edits text files only.");
        var bom = bytes.AsSpan().StartsWith(Utf8.Preamble);
        return new TextFile(Utf8.GetString(bom ? bytes.AsSpan(Utf8.Preamble.Length) : bytes), bom);
    }

    public byte[] Encode(string text) => Bom ? [.. Utf8.Preamble, .. Utf8.GetBytes(text)] : Utf8.GetBytes(text);

    public static byte[] EncodeNew(string text) => Utf8.GetBytes(text);

    /// <summary>The 1-based line on which <paramref name="index"/> lies.</summary>
    public static int LineAt(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    public static string[] SplitLines(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++) lines[i] = lines[i].TrimEnd('\r');
        // A final newline ends the last line; it does not start an empty one.
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    /// <summary>Lines <paramref name="from"/>..<paramref name="to"/> (1-based, clamped) numbered like <c>cat -n</c>.</summary>
    public static string Numbered(IReadOnlyList<string> lines, int from, int to)
    {
        var sb = new StringBuilder();
        for (var n = Math.Max(1, from); n <= Math.Min(to, lines.Count); n++)
            sb.Append(CultureInfo.InvariantCulture, $"{n,6}\t").Append(CutLine(lines[n - 1], ViewFileTool.MaxLineLength)).Append('\n');
        return sb.ToString();
    }

    /// <summary>A line cut to <paramref name="max"/> characters, saying how many were left out.</summary>
    public static string CutLine(string line, int max) =>
        line.Length <= max ? line : string.Create(CultureInfo.InvariantCulture, $"{line.AsSpan(0, max)}… [{line.Length - max:N0} more characters]");
}
