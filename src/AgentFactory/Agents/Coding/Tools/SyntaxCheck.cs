using System.Globalization;
using System.Text.Json;
using System.Xml;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>The first syntax error of a file; <see cref="Line"/> is 1-based, null when the parser gave none.</summary>
internal sealed record SyntaxProblem(string Language, int? Line, string Message)
{
    public override string ToString() => Line is { } l ? $"{Language} syntax error on line {l}: {Message}" : $"{Language} syntax error: {Message}";
}

/// <summary>
/// The cheap parse check run after an edit, chosen by file extension: JSON (comments and trailing
/// commas allowed, as in tsconfig.json), XML (project files included), C# (Roslyn's parser, newest
/// language version), Python (<c>ast.parse</c> by python3) and JavaScript (<c>node --check</c>).
/// The last two run through the sandbox and are skipped when the interpreter is absent or does not
/// answer in time: a check that cannot run never blocks an edit. Other files are not checked.
/// </summary>
internal static class SyntaxCheck
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(30);
    private static readonly string[] XmlExtensions = [".xml", ".csproj", ".fsproj", ".vbproj", ".proj", ".props", ".targets", ".xaml", ".axaml", ".resx", ".nuspec", ".ruleset", ".manifest"];
    private static readonly string[] JsExtensions = [".js", ".mjs", ".cjs"];

    // Exit 3 = parse error printed as "line<TAB>message"; 127 = no interpreter.
    private const string PythonCheck = """
        import ast, sys
        p = sys.argv[1]
        try:
            ast.parse(open(p, 'rb').read(), p)
        except (SyntaxError, ValueError) as e:
            print(f"{getattr(e, 'lineno', '') or ''}\t{getattr(e, 'msg', None) or e}")
            sys.exit(3)
        """;

    /// <summary>Whether files like this one are checked at all.</summary>
    public static bool Applies(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext is ".json" or ".cs" or ".csx" or ".py" || XmlExtensions.Contains(ext) || JsExtensions.Contains(ext);
    }

    /// <summary>The first syntax error of the file as it is on disk now, or null (parses, or not checked).</summary>
    public static async Task<SyntaxProblem?> CheckAsync(ResolvedPath file, ToolContext context, CancellationToken ct)
    {
        var ext = Path.GetExtension(file.FullPath).ToLowerInvariant();
        if (ext == ".json") return Json(await File.ReadAllBytesAsync(file.FullPath, ct));
        if (ext is ".cs" or ".csx") return CSharp(await File.ReadAllTextAsync(file.FullPath, ct), ext == ".csx");
        if (XmlExtensions.Contains(ext)) return Xml(file.FullPath);
        if (ext == ".py") return await PythonAsync(file, context, ct);
        if (JsExtensions.Contains(ext)) return await NodeAsync(file, context, ct);
        return null;
    }

    private static SyntaxProblem? Json(byte[] bytes)
    {
        try
        {
            using var _ = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return null;
        }
        catch (JsonException e)
        {
            // The parser's message ends with its own position ("… LineNumber: 2 | BytePositionInLine: 4."): the line is given apart.
            var message = e.Message;
            var cut = message.IndexOf(" Path: ", StringComparison.Ordinal) is var p and >= 0 ? p : message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut].TrimEnd('.', ' ') + ".";
            return new SyntaxProblem("JSON", e.LineNumber is { } l ? (int)l + 1 : null, message);
        }
    }

    private static SyntaxProblem? Xml(string fullPath)
    {
        try
        {
            using var reader = XmlReader.Create(fullPath, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null });
            while (reader.Read()) { }
            return null;
        }
        catch (XmlException e)
        {
            return new SyntaxProblem("XML", e.LineNumber > 0 ? e.LineNumber : null, e.Message);
        }
    }

    private static SyntaxProblem? CSharp(string text, bool script)
    {
        var options = new CSharpParseOptions(LanguageVersion.Preview, kind: script ? SourceCodeKind.Script : SourceCodeKind.Regular);
        var error = CSharpSyntaxTree.ParseText(text, options).GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        if (error is null) return null;
        var line = error.Location.GetLineSpan().StartLinePosition.Line + 1;
        return new SyntaxProblem("C#", line, $"{error.Id}: {error.GetMessage(CultureInfo.InvariantCulture)}");
    }

    private static async Task<SyntaxProblem?> PythonAsync(ResolvedPath file, ToolContext context, CancellationToken ct)
    {
        var result = await RunAsync(context, "python3", ["-c", PythonCheck, file.Display], ct);
        if (result is not { ExitCode: 3 }) return null;
        var first = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.Contains('\t', StringComparison.Ordinal)) ?? "";
        var parts = first.Split('\t', 2);
        return new SyntaxProblem("Python", int.TryParse(parts[0], CultureInfo.InvariantCulture, out var l) ? l : null, parts.Length > 1 ? parts[1].Trim() : first.Trim());
    }

    private static async Task<SyntaxProblem?> NodeAsync(ResolvedPath file, ToolContext context, CancellationToken ct)
    {
        var result = await RunAsync(context, "node", ["--check", file.Display], ct);
        if (result is not { ExitCode: 1 }) return null;
        // node prints "path:LINE", the line with a caret under the error, then "SyntaxError: message".
        var lines = result.Output.Split('\n');
        var message = lines.FirstOrDefault(l => l.StartsWith("SyntaxError", StringComparison.Ordinal));
        if (message is null) return null;
        int? line = null;
        var location = lines.FirstOrDefault(l => l.StartsWith(file.Display + ":", StringComparison.Ordinal) || l.Contains("/" + file.Display + ":", StringComparison.Ordinal));
        if (location is not null && int.TryParse(location[(location.LastIndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture, out var n)) line = n;
        return new SyntaxProblem("JavaScript", line, message.Trim());
    }

    /// <summary>Runs a checker through the sandbox; null when it is missing or does not answer in time.</summary>
    private static async Task<Sandbox.ProcessResult?> RunAsync(ToolContext context, string program, string[] args, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ProcessTimeout);
        try
        {
            var result = await context.RunIfPresentAsync(program, args, 16 * 1024, timeout.Token);
            return result.Limit is null ? result : null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
