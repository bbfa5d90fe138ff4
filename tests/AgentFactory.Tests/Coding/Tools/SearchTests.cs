using AgentFactory.Agents.Coding.Tools;

namespace AgentFactory.Tests.Coding.Tools;

/// <summary>search over a real repository: what git would track, bounded, never .git or binaries.</summary>
public sealed class SearchTests : IDisposable
{
    private readonly ToolWorld _world = new(new Dictionary<string, string?>
    {
        [".gitignore"] = "node_modules/\nbuild/\n",
        ["src/app.py"] = "import os\n\ndef parse(text):\n    return text.split(',')\n",
        ["src/lib/util.py"] = "def parse_all(items):\n    return [parse(i) for i in items]\n",
        ["tests/test_app.py"] = "from app import parse\n\ndef test_parse():\n    assert parse('a,b') == ['a', 'b']\n",
        ["docs/notes.md"] = "call parse( carefully\n",
    });

    public SearchTests()
    {
        // Ignored and binary files hold matches that must not be reported.
        _world.Write("node_modules/dep/index.js", "function parse() {}\n");
        _world.Write("build/out.py", "parse = None\n");
        File.WriteAllBytes(_world.FullPath("src/data.bin"), [.. "parse"u8, 0, 1, 2]);
    }

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Content_search_lists_path_line_and_text_of_each_match()
    {
        var result = await _world.Call("search", new { pattern = @"def parse\w*\(" });

        Assert.False(result.IsError);
        Assert.Equal(
            "2 matching lines in 2 files for \"def parse\\w*\\(\":\n" +
            "src/app.py:3: def parse(text):\n" +
            "src/lib/util.py:1: def parse_all(items):\n",
            result.Text);
        Assert.Equal("content \"def parse\\w*\\(\": 2 lines in 2 files", result.Excerpt);
    }

    [Fact]
    public async Task Ignored_binary_and_dot_git_files_are_skipped_but_untracked_ones_are_searched()
    {
        _world.Write("src/new_module.py", "parse = 1\n");

        var result = await _world.Call("search", new { pattern = "parse" });

        Assert.Contains("src/new_module.py:1: parse = 1", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("node_modules", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("build/", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("data.bin", result.Text, StringComparison.Ordinal);
        var git = await _world.Call("search", new { pattern = "initial" });
        Assert.DoesNotContain(".git", git.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_regex_is_searched_as_plain_text_and_says_so()
    {
        var result = await _world.Call("search", new { pattern = "parse(" });

        Assert.StartsWith("[\"parse(\" is not a valid regular expression", result.Text, StringComparison.Ordinal);
        Assert.Contains("searched as plain text", result.Text, StringComparison.Ordinal);
        Assert.Contains("docs/notes.md:1: call parse( carefully", result.Text, StringComparison.Ordinal);
        Assert.Contains("src/app.py:3:", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_limits_the_search_and_a_missing_path_is_refused()
    {
        var tests = await _world.Call("search", new { pattern = "parse", path = "tests" });
        var file = await _world.Call("search", new { pattern = "parse", path = "src/app.py" });
        var missing = await _world.Call("search", new { pattern = "parse", path = "nowhere" });

        Assert.StartsWith("3 matching lines in 1 files for \"parse\" under tests:", tests.Text, StringComparison.Ordinal);
        Assert.StartsWith("1 matching lines in 1 files for \"parse\" under src/app.py:", file.Text, StringComparison.Ordinal);
        Assert.True(missing.IsError);
        Assert.Contains("nowhere does not exist", missing.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_match_is_not_an_error()
    {
        var result = await _world.Call("search", new { pattern = "zebra" });
        Assert.False(result.IsError);
        Assert.Equal("No line matches \"zebra\".", result.Text);
    }

    [Fact]
    public async Task Results_are_bounded_with_a_count_of_the_rest()
    {
        _world.Write("many/a.txt", string.Concat(Enumerable.Range(1, 40).Select(i => $"hit {i}\n")));
        _world.Write("many/b.txt", string.Concat(Enumerable.Range(1, 30).Select(i => $"hit {i}\n")));
        _world.Write("many/c.txt", "hit 1\n");

        var result = await _world.Call("search", new { pattern = "^hit", path = "many" });

        Assert.StartsWith("71 matching lines in 3 files", result.Text, StringComparison.Ordinal);
        Assert.Equal(SearchTool.MaxMatches, result.Text.Split('\n').Count(l => l.StartsWith("many/", StringComparison.Ordinal)));
        Assert.Contains("[21 more matching lines (in 1 more files) not shown: narrow the pattern or give a path]", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Long_lines_are_cut_around_the_match()
    {
        _world.Write("min.js", new string('a', 5000) + "NEEDLE" + new string('b', 5000) + "\n");

        var result = await _world.Call("search", new { pattern = "NEEDLE" });

        var line = result.Text.Split('\n')[1];
        Assert.Contains("NEEDLE", line, StringComparison.Ordinal);
        Assert.True(line.Length < SearchTool.MaxLineLength + 20, $"{line.Length} characters");
    }

    [Fact]
    public async Task File_search_matches_names_at_any_depth_or_a_path_glob()
    {
        var byName = await _world.Call("search", new { pattern = "*.py", kind = "files" });
        var byPath = await _world.Call("search", new { pattern = "src/**/*.py", kind = "files" });
        var under = await _world.Call("search", new { pattern = "test_*", kind = "files", path = "tests" });
        var none = await _world.Call("search", new { pattern = "*.rs", kind = "files" });

        Assert.Equal("3 files match \"*.py\":\nsrc/app.py\nsrc/lib/util.py\ntests/test_app.py\n", byName.Text);
        Assert.Equal("2 files match \"src/**/*.py\":\nsrc/app.py\nsrc/lib/util.py\n", byPath.Text);
        Assert.Equal("1 files match \"test_*\" under tests:\ntests/test_app.py\n", under.Text);
        Assert.False(none.IsError);
        Assert.StartsWith("No file matches \"*.rs\"", none.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_git_the_directory_is_walked_and_dot_git_still_skipped()
    {
        Directory.Delete(_world.FullPath(".git"), recursive: true);
        Directory.CreateDirectory(_world.FullPath(".git"));
        File.WriteAllText(_world.FullPath(".git/config"), "parse\n");

        var result = await _world.Call("search", new { pattern = "def parse" });

        Assert.Contains("src/app.py:3:", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(".git", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_catastrophic_regex_is_stopped_with_advice()
    {
        _world.Write("evil.txt", new string('a', 5000) + "!\n");

        var result = await _world.Call("search", new { pattern = "^(a+)+$", path = "evil.txt" });

        Assert.True(result.IsError);
        Assert.Contains("takes too long", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_kind_is_refused_with_the_accepted_values()
    {
        var result = await _world.Call("search", new { pattern = "x", kind = "symbols" });
        Assert.True(result.IsError);
        Assert.Contains("must be one of \"content\", \"files\"", result.Text, StringComparison.Ordinal);
    }
}
