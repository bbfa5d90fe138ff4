using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Coding.Tools;

/// <summary>str_replace on real files: exact, unique, and never leaving a file that no longer parses.</summary>
public sealed class StrReplaceTests : IDisposable
{
    private const string Python = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n";
    private const string CSharp = "namespace Demo;\n\npublic static class Calc\n{\n    public static int Add(int a, int b) => a - b;\n}\n";
    private const string Json = "{\n  \"name\": \"demo\",\n  // comments are allowed, as in tsconfig.json\n  \"version\": \"1.0.0\",\n}\n";

    private readonly ToolWorld _world = new(new Dictionary<string, string?>
    {
        ["calc.py"] = Python,
        ["src/Calc.cs"] = CSharp,
        ["package.json"] = Json,
        ["app.csproj"] = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net10.0</TargetFramework>\n  </PropertyGroup>\n</Project>\n",
        ["notes.txt"] = "one\ntwo\nthree\n",
    });

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Replaces_the_unique_string_and_shows_the_region_with_line_numbers()
    {
        var result = await _world.Call("str_replace", new { path = "src/Calc.cs", old_str = "=> a - b;", new_str = "=> a + b;" });

        Assert.False(result.IsError, result.Text);
        Assert.Equal(CSharp.Replace("a - b", "a + b", StringComparison.Ordinal), _world.Read("src/Calc.cs"));
        Assert.StartsWith("Edited src/Calc.cs (line 5 now).", result.Text, StringComparison.Ordinal);
        Assert.Contains("     5\t    public static int Add(int a, int b) => a + b;\n", result.Text, StringComparison.Ordinal);
        Assert.Contains("     1\tnamespace Demo;", result.Text, StringComparison.Ordinal);
        Assert.Equal("edited src/Calc.cs, line 5", result.Excerpt);
        Assert.Equal(1, _world.Context.Changes);
    }

    [Fact]
    public async Task A_multi_line_replacement_names_the_new_lines()
    {
        var result = await _world.Call("str_replace", new { path = "notes.txt", old_str = "two\n", new_str = "two\ntwo and a half\n" });

        Assert.Equal("one\ntwo\ntwo and a half\nthree\n", _world.Read("notes.txt"));
        Assert.StartsWith("Edited notes.txt (lines 2-3 now).", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_new_str_deletes()
    {
        var result = await _world.Call("str_replace", new { path = "notes.txt", old_str = "two\n", new_str = "" });

        Assert.False(result.IsError, result.Text);
        Assert.Equal("one\nthree\n", _world.Read("notes.txt"));
    }

    [Fact]
    public async Task A_missing_string_is_refused_with_a_hint_and_the_file_is_unchanged()
    {
        var result = await _world.Call("str_replace", new { path = "calc.py", old_str = "def add(a, b):\n  return a - b", new_str = "x" });

        Assert.True(result.IsError);
        Assert.Contains("old_str was not found in calc.py", result.Text, StringComparison.Ordinal);
        Assert.Contains("Its first line appears on line 1", result.Text, StringComparison.Ordinal);
        Assert.Contains("view_file", result.Text, StringComparison.Ordinal);
        Assert.Equal(Python, _world.Read("calc.py"));
        Assert.Equal(0, _world.Context.Changes);
    }

    [Fact]
    public async Task A_string_that_is_not_unique_is_refused_naming_how_often_and_where()
    {
        var result = await _world.Call("str_replace", new { path = "calc.py", old_str = "return a - b", new_str = "return a + b" });

        Assert.True(result.IsError);
        Assert.Contains("old_str occurs 2 times in calc.py (starting on lines 2, 6)", result.Text, StringComparison.Ordinal);
        Assert.Contains("Include more of the surrounding lines", result.Text, StringComparison.Ordinal);
        Assert.Equal(Python, _world.Read("calc.py"));
    }

    [Fact]
    public async Task An_edit_that_breaks_JSON_is_rejected_with_the_parser_error_and_the_file_is_unchanged()
    {
        var result = await _world.Call("str_replace", new { path = "package.json", old_str = "\"name\": \"demo\",", new_str = "\"name\": \"demo\" \"oops\"," });

        Assert.True(result.IsError);
        Assert.Contains("Edit rejected", result.Text, StringComparison.Ordinal);
        Assert.Contains("JSON syntax error on line 2", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", result.Text, StringComparison.Ordinal);
        Assert.Contains("The file is unchanged", result.Text, StringComparison.Ordinal);
        Assert.Equal(Json, _world.Read("package.json"));
    }

    [Fact]
    public async Task An_edit_that_breaks_CSharp_is_rejected_with_the_compiler_error_and_line()
    {
        var result = await _world.Call("str_replace", new { path = "src/Calc.cs", old_str = "=> a - b;\n}", new_str = "{\n        return a + b;\n}" });

        Assert.True(result.IsError);
        Assert.Contains("C# syntax error on line", result.Text, StringComparison.Ordinal);
        Assert.Contains("CS1513", result.Text, StringComparison.Ordinal); // } expected
        Assert.Equal(CSharp, _world.Read("src/Calc.cs"));
    }

    [Fact]
    public async Task An_edit_that_breaks_a_project_file_is_rejected()
    {
        var before = _world.Read("app.csproj");

        var result = await _world.Call("str_replace", new { path = "app.csproj", old_str = "</PropertyGroup>", new_str = "</PropertyGrop>" });

        Assert.True(result.IsError);
        Assert.Contains("XML syntax error on line 4", result.Text, StringComparison.Ordinal);
        Assert.Equal(before, _world.Read("app.csproj"));
    }

    [ToolFact("python3")]
    public async Task An_edit_that_breaks_Python_is_rejected_with_the_line_and_the_would_be_text()
    {
        var result = await _world.Call("str_replace", new { path = "calc.py", old_str = "def add(a, b):\n    return a - b", new_str = "def add(a, b)\n    return a + b" });

        Assert.True(result.IsError);
        Assert.Contains("Python syntax error on line 1", result.Text, StringComparison.Ordinal);
        Assert.Contains("     1\tdef add(a, b)\n", result.Text, StringComparison.Ordinal);
        Assert.Equal(Python, _world.Read("calc.py"));
    }

    [ToolFact("python3")]
    public async Task A_Python_edit_that_parses_is_kept()
    {
        var result = await _world.Call("str_replace", new { path = "calc.py", old_str = "def add(a, b):\n    return a - b", new_str = "def add(a, b):\n    return a + b" });

        Assert.False(result.IsError, result.Text);
        Assert.StartsWith("def add(a, b):\n    return a + b\n", _world.Read("calc.py"), StringComparison.Ordinal);
    }

    [ToolFact("node")]
    public async Task An_edit_that_breaks_JavaScript_is_rejected()
    {
        // Its own repository: node reads the nearest package.json, and this class's one has comments node refuses.
        const string Js = "function add(a, b) {\n  return a - b;\n}\nmodule.exports = { add };\n";
        using var world = new ToolWorld(new Dictionary<string, string?> { ["index.js"] = Js });

        var result = await world.Call("str_replace", new { path = "index.js", old_str = "return a - b;", new_str = "return a + ;" });

        Assert.True(result.IsError, result.Text);
        Assert.Contains("JavaScript syntax error on line 2: SyntaxError: Unexpected token", result.Text, StringComparison.Ordinal);
        Assert.Equal(Js, world.Read("index.js"));
    }

    [Fact]
    public async Task A_file_that_did_not_parse_before_is_still_editable_with_a_note()
    {
        _world.Write("broken.json", "{ \"a\": 1,, }\n");

        var result = await _world.Call("str_replace", new { path = "broken.json", old_str = "1", new_str = "2" });

        Assert.False(result.IsError, result.Text);
        Assert.Contains("did not parse before this edit either", result.Text, StringComparison.Ordinal);
        Assert.Equal("{ \"a\": 2,, }\n", _world.Read("broken.json"));
    }

    [Fact]
    public async Task Line_endings_and_byte_order_mark_are_kept()
    {
        File.WriteAllBytes(_world.FullPath("win.txt"), [0xEF, 0xBB, 0xBF, .. "alpha\r\nbeta\r\ngamma\r\n"u8]);

        var result = await _world.Call("str_replace", new { path = "win.txt", old_str = "alpha\nbeta", new_str = "alpha\nBETA\nbeta" });

        Assert.False(result.IsError, result.Text);
        Assert.Equal([0xEF, 0xBB, 0xBF, .. "alpha\r\nBETA\r\nbeta\r\ngamma\r\n"u8], File.ReadAllBytes(_world.FullPath("win.txt")));
    }

    [Theory]
    [InlineData("src", "a", "b", "is a directory")]
    [InlineData("missing.py", "a", "b", "does not exist")]
    [InlineData("notes.txt", "", "b", "old_str is empty")]
    [InlineData("notes.txt", "one", "one", "nothing to change")]
    public async Task Impossible_edits_are_refused(string path, string oldStr, string newStr, string expected)
    {
        var result = await _world.Call("str_replace", new { path, old_str = oldStr, new_str = newStr });

        Assert.True(result.IsError);
        Assert.Contains(expected, result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_binary_file_is_refused()
    {
        File.WriteAllBytes(_world.FullPath("blob.bin"), [1, 0, 2, 3]);
        var result = await _world.Call("str_replace", new { path = "blob.bin", old_str = "\u0001", new_str = "x" });
        Assert.True(result.IsError);
        Assert.Contains("binary file", result.Text, StringComparison.Ordinal);
    }
}
