using AgentFactory.Agents.Coding.Tools;

namespace AgentFactory.Tests.Coding.Tools;

/// <summary>view_file on real files of a real repository.</summary>
public sealed class ViewFileTests : IDisposable
{
    private static readonly string Long = string.Concat(Enumerable.Range(1, 250).Select(i => $"line {i}\n"));

    private readonly ToolWorld _world = new(new Dictionary<string, string?>
    {
        ["long.txt"] = Long,
        ["small.py"] = "a = 1\nb = 2\nc = 3\n",
        ["src/lib/util.cs"] = "class Util {}\n",
        ["empty.txt"] = "",
    });

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Shows_a_numbered_window_of_100_lines_with_the_total_and_how_to_see_more()
    {
        var result = await _world.Call("view_file", new { path = "long.txt" });

        Assert.False(result.IsError);
        Assert.StartsWith("long.txt (lines 1-100 of 250)\n     1\tline 1\n", result.Text, StringComparison.Ordinal);
        Assert.Contains("   100\tline 100\n", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("line 101", result.Text, StringComparison.Ordinal);
        Assert.Contains("[150 more lines: view_file with start_line=101 shows the next ones]", result.Text, StringComparison.Ordinal);
        Assert.Equal("long.txt: lines 1-100 of 250", result.Excerpt);
    }

    [Fact]
    public async Task Start_and_end_line_choose_the_window()
    {
        var result = await _world.Call("view_file", new { path = "long.txt", start_line = 120, end_line = 122 });

        Assert.Equal(
            "long.txt (lines 120-122 of 250)\n   120\tline 120\n   121\tline 121\n   122\tline 122\n" +
            "[128 more lines: view_file with start_line=123 shows the next ones]\n[lines 1-119 are above this window]\n",
            result.Text);
    }

    [Fact]
    public async Task End_line_minus_one_reads_to_the_end()
    {
        var result = await _world.Call("view_file", new { path = "long.txt", start_line = 240, end_line = -1 });

        Assert.Contains("(lines 240-250 of 250)", result.Text, StringComparison.Ordinal);
        Assert.Contains("   250\tline 250\n", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("more lines", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_window_larger_than_the_maximum_is_capped_and_says_so()
    {
        var lines = string.Concat(Enumerable.Range(1, 1000).Select(i => $"{i}\n"));
        _world.Write("big.txt", lines);

        var result = await _world.Call("view_file", new { path = "big.txt", start_line = 1, end_line = 900 });

        Assert.Contains($"(lines 1-{ViewFileTool.MaxWindow} of 1000)", result.Text, StringComparison.Ordinal);
        Assert.Contains($"a window holds at most {ViewFileTool.MaxWindow} lines", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_small_file_is_shown_whole()
    {
        var result = await _world.Call("view_file", new { path = "small.py" });
        Assert.Equal("small.py (3 lines)\n     1\ta = 1\n     2\tb = 2\n     3\tc = 3\n", result.Text);
    }

    [Fact]
    public async Task An_empty_file_says_it_is_empty()
    {
        var result = await _world.Call("view_file", new { path = "empty.txt" });
        Assert.False(result.IsError);
        Assert.Equal("empty.txt is empty (0 lines).", result.Text);
    }

    [Fact]
    public async Task Long_lines_are_cut_with_a_count_of_what_was_left_out()
    {
        _world.Write("wide.txt", new string('x', 2000) + "\n");

        var result = await _world.Call("view_file", new { path = "wide.txt" });

        Assert.Contains("… [1,500 more characters]", result.Text, StringComparison.Ordinal);
        Assert.True(result.Text.Length < 700);
    }

    [Fact]
    public async Task A_directory_lists_its_entries()
    {
        var root = await _world.Call("view_file", new { path = "." });
        var sub = await _world.Call("view_file", new { path = "src" });

        Assert.Contains("\nlong.txt\n", root.Text, StringComparison.Ordinal);
        Assert.Contains("\nsrc/\n", root.Text, StringComparison.Ordinal);
        Assert.StartsWith("./ (", root.Text, StringComparison.Ordinal);
        Assert.Equal("src/ (1 entries; directories end with /, symbolic links with @)\nlib/\n", sub.Text);
    }

    [Fact]
    public async Task A_binary_file_is_refused_with_the_reason_and_another_way()
    {
        File.WriteAllBytes(_world.FullPath("logo.png"), [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0x0D, 1, 2, 3]);

        var result = await _world.Call("view_file", new { path = "logo.png" });

        Assert.True(result.IsError);
        Assert.Contains("binary file", result.Text, StringComparison.Ordinal);
        Assert.Contains("run_shell", result.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nope.txt", null, null, "does not exist")]
    [InlineData("small.py", 10, null, "past the end of small.py, which has 3 lines")]
    [InlineData("small.py", 3, 2, "end_line (2) is before start_line (3)")]
    [InlineData("small.py", 0, null, "start_line must be 1 or more")]
    public async Task Wrong_windows_and_missing_files_are_refused_with_what_to_do(string path, int? start, int? end, string expected)
    {
        var result = await _world.Call("view_file", new { path, start_line = start, end_line = end });

        Assert.True(result.IsError);
        Assert.Contains(expected, result.Text, StringComparison.Ordinal);
    }
}
