using AgentFactory.Agents.Coding.Tools;

namespace AgentFactory.Tests.Coding.Tools;

/// <summary>
/// Attacks on the file tools' paths: each tries to read or write outside the worktree (or inside .git)
/// and must be refused with nothing read or written.
/// </summary>
public sealed class PathSafetyTests : IDisposable
{
    private readonly ToolWorld _world = new(new Dictionary<string, string?> { ["src/app.py"] = "print('hi')\n" });

    public void Dispose() => _world.Dispose();

    private string OutsideFile(string content = "outside secret")
    {
        var path = Path.Combine(_world.Outside, "outside.txt");
        File.WriteAllText(path, content);
        return path;
    }

    [Theory]
    [InlineData("../outside.txt")]
    [InlineData("src/../../outside.txt")]
    [InlineData("src/../../repo/../outside.txt")]
    public async Task Dot_dot_escape_is_refused(string path)
    {
        OutsideFile();
        var result = await _world.Call("view_file", new { path });
        Assert.True(result.IsError);
        Assert.Contains("outside the repository", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("outside secret", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Absolute_paths_are_refused_even_inside_the_worktree()
    {
        var etc = await _world.Call("view_file", new { path = "/etc/passwd" });
        var own = await _world.Call("view_file", new { path = _world.FullPath("src/app.py") });

        Assert.True(etc.IsError);
        Assert.Contains("relative to the repository root", etc.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", etc.Text, StringComparison.Ordinal);
        Assert.True(own.IsError);
    }

    [Fact]
    public async Task Symlink_to_etc_is_not_followed_for_reading_listing_or_searching()
    {
        File.CreateSymbolicLink(_world.FullPath("etc"), "/etc");
        File.CreateSymbolicLink(_world.FullPath("passwd"), "/etc/passwd");

        foreach (var path in new[] { "etc/passwd", "etc", "passwd" })
        {
            var result = await _world.Call("view_file", new { path });
            Assert.True(result.IsError, path);
            Assert.Contains("symbolic link", result.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("root:", result.Text, StringComparison.Ordinal);
        }
        var search = await _world.Call("search", new { pattern = "^root:" });
        Assert.DoesNotContain("root:", search.Text.Replace("\"^root:\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var inLink = await _world.Call("search", new { pattern = "root", path = "etc" });
        Assert.True(inLink.IsError);
    }

    [Fact]
    public async Task Writes_through_a_symlinked_directory_or_file_are_refused_and_nothing_outside_changes()
    {
        var outsideFile = OutsideFile("keep me");
        File.CreateSymbolicLink(_world.FullPath("out"), _world.Outside);
        File.CreateSymbolicLink(_world.FullPath("link.txt"), outsideFile);

        var create = await _world.Call("create_file", new { path = "out/planted.txt", content = "x" });
        var replace = await _world.Call("str_replace", new { path = "link.txt", old_str = "keep", new_str = "lost" });
        var viaDir = await _world.Call("str_replace", new { path = "out/outside.txt", old_str = "keep", new_str = "lost" });

        Assert.True(create.IsError);
        Assert.True(replace.IsError);
        Assert.True(viaDir.IsError);
        Assert.False(File.Exists(Path.Combine(_world.Outside, "planted.txt")));
        Assert.Equal("keep me", File.ReadAllText(outsideFile));
    }

    [Fact]
    public async Task Creating_a_file_at_a_dangling_symlink_is_refused_and_its_target_is_not_created()
    {
        var target = Path.Combine(_world.Outside, "would-be-created.txt");
        File.CreateSymbolicLink(_world.FullPath("dangling"), target);

        var result = await _world.Call("create_file", new { path = "dangling", content = "x" });

        Assert.True(result.IsError);
        Assert.False(File.Exists(target));
    }

    [Theory]
    [InlineData(".git/hooks/pre-commit")]
    [InlineData(".git/config")]
    [InlineData("src/../.git/info/exclude")]
    public async Task Nothing_under_dot_git_is_writable(string path)
    {
        var create = await _world.Call("create_file", new { path, content = "#!/bin/sh\necho pwned\n" });
        Assert.True(create.IsError);
        Assert.Contains(".git", create.Text, StringComparison.Ordinal);
        Assert.False(File.Exists(_world.FullPath(".git/hooks/pre-commit")));

        var config = _world.Read(".git/config");
        var replace = await _world.Call("str_replace", new { path = ".git/config", old_str = "[core]", new_str = "[core]\n\thooksPath = /tmp" });
        Assert.True(replace.IsError);
        Assert.Equal(config, _world.Read(".git/config"));
    }

    [Fact]
    public async Task A_symlink_that_stays_inside_the_worktree_is_followed()
    {
        File.CreateSymbolicLink(_world.FullPath("app-link.py"), "src/app.py");

        var result = await _world.Call("view_file", new { path = "app-link.py" });

        Assert.False(result.IsError, result.Text);
        Assert.Contains("print('hi')", result.Text, StringComparison.Ordinal);
        Assert.StartsWith("src/app.py", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolved_paths_are_real_and_relative_for_display()
    {
        var paths = new WorktreePaths(_world.Repo.Path);

        var root = paths.Resolve(".", PathAccess.Read);
        var file = paths.Resolve("./src//app.py", PathAccess.Write);
        var missing = paths.Resolve("src/new/dir/file.cs", PathAccess.Write);

        Assert.Equal(".", root.Display);
        Assert.Equal("src/app.py", file.Display);
        Assert.Equal("src/new/dir/file.cs", missing.Display);
        Assert.StartsWith(paths.Root + "/", missing.FullPath, StringComparison.Ordinal);
        Assert.Throws<ToolException>(() => paths.Resolve(".", PathAccess.Write));
    }
}
