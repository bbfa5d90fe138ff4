using System.Runtime.InteropServices;

namespace AgentFactory.Agents.Coding.Tools;

public enum PathAccess
{
    Read,
    Write,
}

/// <param name="FullPath">The real absolute path to operate on (always inside the worktree).</param>
/// <param name="Display">The path relative to the worktree, with '/', as the model should write it ("." for the root).</param>
public sealed record ResolvedPath(string FullPath, string Display);

/// <summary>
/// Turns a path the model wrote into a real path inside the worktree, or refuses it. Paths are
/// relative to the worktree: absolute paths are refused, and so is anything that leads outside —
/// through "..", or through a symbolic link (real paths are resolved by the OS's realpath, so a link
/// to /etc, or a link inside a linked directory, is followed before the check). A dangling link is
/// refused, as writing through it would create its target. Nothing under a ".git" entry is writable:
/// the service commits and pushes. Callers operate on <see cref="ResolvedPath.FullPath"/>, never on
/// the model's text.
/// </summary>
public sealed partial class WorktreePaths
{
    public WorktreePaths(string worktree)
    {
        Root = RealPath(Path.GetFullPath(worktree))
            ?? throw new DirectoryNotFoundException($"The worktree {worktree} does not exist.");
    }

    public string Root { get; }

    public ResolvedPath Resolve(string? path, PathAccess access)
    {
        var text = string.IsNullOrWhiteSpace(path) ? "." : path.Trim();
        if (text.Contains('\0', StringComparison.Ordinal))
            throw new ToolException("The path contains a NUL character; give a plain path relative to the repository root.");
        if (Path.IsPathRooted(text) || text.StartsWith('~'))
            throw new ToolException($"\"{text}\" is an absolute path. Give the path relative to the repository root (e.g. src/app.py); \".\" is the root.");

        var lexical = Path.GetFullPath(text, Root);
        if (!IsInside(lexical))
            throw new ToolException($"\"{text}\" leads outside the repository. The tools work only inside it; give a path relative to the repository root without \"..\" escapes.");

        var real = ResolveExisting(lexical, text);
        if (!IsInside(real))
            throw new ToolException($"\"{text}\" is (or passes through) a symbolic link to a place outside the repository. The tools work only inside it.");

        var display = Display(real);
        if (access == PathAccess.Write)
        {
            if (real == Root) throw new ToolException("The repository root itself cannot be written; give a file path.");
            if (display.Split('/').Contains(".git"))
                throw new ToolException($"\"{text}\" is inside .git, which the tools do not write: the service commits and pushes your changes itself.");
        }
        return new ResolvedPath(real, display);
    }

    /// <summary>The model's form of a real path inside the worktree.</summary>
    public string Display(string fullPath)
    {
        var relative = Path.GetRelativePath(Root, fullPath);
        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private bool IsInside(string full) =>
        full == Root || full.StartsWith(Root.EndsWith('/') ? Root : Root + "/", StringComparison.Ordinal);

    /// <summary>
    /// The real path of the longest existing prefix, with the missing rest appended: a missing entry
    /// cannot be a link, except a dangling one, which is refused.
    /// </summary>
    private static string ResolveExisting(string lexical, string text)
    {
        var missing = new Stack<string>();
        var probe = lexical;
        while (true)
        {
            if (RealPath(probe) is { } real)
                return missing.Count == 0 ? real : Path.Combine([real, .. missing]);
            if (new FileInfo(probe).LinkTarget is not null)
                throw new ToolException($"\"{text}\" is or contains a symbolic link that points to nothing; the tools do not follow it. Give another path.");
            var parent = Path.GetDirectoryName(probe);
            if (parent is null) return lexical;
            missing.Push(Path.GetFileName(probe));
            probe = parent;
        }
    }

    private static string? RealPath(string path)
    {
        var resolved = NativeRealPath(path, 0);
        if (resolved == 0) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint NativeRealPath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);
}
