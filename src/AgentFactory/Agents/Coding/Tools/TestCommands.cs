using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentFactory.Agents.Coding.Tools;

/// <summary>A test command and why it was chosen (shown to the model).</summary>
public sealed record TestCommand(string Command, string Reason);

/// <summary>
/// Finds the repository's test command from the files at its root, first match wins (the order is
/// documented in docs/coding-agent.md; a configured <c>testCommand</c> setting overrides it):
/// 1. a .sln, .slnx, .csproj, .fsproj or .vbproj → <c>dotnet test</c>;
/// 2. package.json with a scripts.test other than npm's placeholder → <c>npm test</c>;
/// 3. pyproject.toml, setup.py, setup.cfg, pytest.ini, tox.ini or conftest.py → <c>python3 -m pytest</c>;
/// 4. go.mod → <c>go test ./...</c>;
/// 5. Cargo.toml → <c>cargo test</c>;
/// 6. a Makefile (Makefile, makefile, GNUmakefile) with a <c>test:</c> target → <c>make test</c>.
/// </summary>
public static partial class TestCommands
{
    private static readonly string[] DotnetExtensions = [".sln", ".slnx", ".csproj", ".fsproj", ".vbproj"];
    private static readonly string[] PythonMarkers = ["pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini", "conftest.py"];
    private static readonly string[] Makefiles = ["GNUmakefile", "makefile", "Makefile"];

    public static TestCommand? Detect(string root)
    {
        var files = Directory.EnumerateFiles(root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

        if (files.FirstOrDefault(f => DotnetExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())) is { } project)
            return new TestCommand("dotnet test", $"{project} is at the root");
        if (files.Contains("package.json") && NpmTestScript(Path.Combine(root, "package.json")))
            return new TestCommand("npm test", "package.json has a test script");
        if (files.FirstOrDefault(PythonMarkers.Contains) is { } python)
            return new TestCommand("python3 -m pytest", $"{python} is at the root");
        if (files.Contains("go.mod")) return new TestCommand("go test ./...", "go.mod is at the root");
        if (files.Contains("Cargo.toml")) return new TestCommand("cargo test", "Cargo.toml is at the root");
        if (files.FirstOrDefault(Makefiles.Contains) is { } makefile && MakeTestTarget().IsMatch(File.ReadAllText(Path.Combine(root, makefile))))
            return new TestCommand("make test", $"{makefile} has a test target");
        return null;
    }

    /// <summary>What the model is told when nothing is detected.</summary>
    public const string DetectionOrder =
        "a .sln/.slnx/.csproj/.fsproj/.vbproj → dotnet test; package.json with a test script → npm test; " +
        "pyproject.toml/setup.py/setup.cfg/pytest.ini/tox.ini/conftest.py → python3 -m pytest; go.mod → go test ./...; " +
        "Cargo.toml → cargo test; a Makefile with a test target → make test";

    private static bool NpmTestScript(string packageJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(packageJson), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("scripts", out var scripts) && scripts.ValueKind == JsonValueKind.Object
                && scripts.TryGetProperty("test", out var test) && test.ValueKind == JsonValueKind.String
                && test.GetString() is { Length: > 0 } script
                && !script.Contains("no test specified", StringComparison.Ordinal);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^test\s*:", RegexOptions.Multiline)]
    private static partial Regex MakeTestTarget();
}
