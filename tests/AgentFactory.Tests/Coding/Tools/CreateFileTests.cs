using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Coding.Tools;

/// <summary>create_file on a real repository.</summary>
public sealed class CreateFileTests : IDisposable
{
    private readonly ToolWorld _world = new(new Dictionary<string, string?> { ["src/app.py"] = "x = 1\n" });

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Creates_the_file_and_its_parent_directories()
    {
        var result = await _world.Call("create_file", new { path = "tests/unit/test_app.py", content = "def test_x():\n    assert True\n" });

        Assert.False(result.IsError, result.Text);
        Assert.Equal("Created tests/unit/test_app.py (2 lines).", result.Text);
        Assert.Equal("def test_x():\n    assert True\n", _world.Read("tests/unit/test_app.py"));
        Assert.Equal(1, _world.Context.Changes);
    }

    [Fact]
    public async Task An_existing_file_is_not_overwritten_and_str_replace_is_suggested()
    {
        var result = await _world.Call("create_file", new { path = "src/app.py", content = "gone\n" });

        Assert.True(result.IsError);
        Assert.Contains("already exists", result.Text, StringComparison.Ordinal);
        Assert.Contains("str_replace", result.Text, StringComparison.Ordinal);
        Assert.Equal("x = 1\n", _world.Read("src/app.py"));
    }

    [Fact]
    public async Task An_existing_directory_is_refused()
    {
        var result = await _world.Call("create_file", new { path = "src", content = "x" });
        Assert.True(result.IsError);
        Assert.Contains("is an existing directory", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Content_that_does_not_parse_is_not_created_and_leaves_no_directories()
    {
        var result = await _world.Call("create_file", new { path = "config/app/settings.json", content = "{\n  \"a\": 1\n  \"b\": 2\n}\n" });

        Assert.True(result.IsError);
        Assert.Contains("was not created", result.Text, StringComparison.Ordinal);
        Assert.Contains("JSON syntax error on line 3", result.Text, StringComparison.Ordinal);
        Assert.Contains("     3\t  \"b\": 2\n", result.Text, StringComparison.Ordinal);
        Assert.False(File.Exists(_world.FullPath("config/app/settings.json")));
        Assert.False(Directory.Exists(_world.FullPath("config")));
        Assert.Equal(0, _world.Context.Changes);
    }

    [ToolFact("python3")]
    public async Task Python_that_does_not_parse_is_not_created()
    {
        var result = await _world.Call("create_file", new { path = "src/bad.py", content = "def broken(:\n    pass\n" });

        Assert.True(result.IsError);
        Assert.Contains("Python syntax error on line 1", result.Text, StringComparison.Ordinal);
        Assert.False(File.Exists(_world.FullPath("src/bad.py")));
        Assert.True(Directory.Exists(_world.FullPath("src")));
    }

    [Fact]
    public async Task An_empty_file_may_be_created()
    {
        var result = await _world.Call("create_file", new { path = "src/__init__.py", content = "" });

        Assert.False(result.IsError, result.Text);
        Assert.Equal("", _world.Read("src/__init__.py"));
    }
}
