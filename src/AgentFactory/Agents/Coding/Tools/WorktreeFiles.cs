namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// The files search looks through: those git tracks or would track (<c>git ls-files --cached
/// --others --exclude-standard</c>, run in the sandbox), so that ignored trees such as node_modules,
/// bin/ and obj/ stay out of the results. Where git cannot answer (not a repository, or git is
/// absent in the sandbox) the directory is walked instead. Either way .git is skipped and symbolic
/// links are not followed: search never reads outside the worktree.
/// </summary>
internal static class WorktreeFiles
{
    private const int MaxListingBytes = 16 * 1024 * 1024;

    /// <summary>Real paths of the regular files under <paramref name="under"/>, sorted.</summary>
    public static async Task<List<string>> ListAsync(ToolContext context, ResolvedPath under, CancellationToken ct)
    {
        if (File.Exists(under.FullPath)) return IsPlainFile(under.FullPath) ? [under.FullPath] : [];
        var listed = await FromGitAsync(context, under, ct) ?? Walk(under.FullPath);
        listed.Sort(StringComparer.Ordinal);
        return listed;
    }

    private static async Task<List<string>?> FromGitAsync(ToolContext context, ResolvedPath under, CancellationToken ct)
    {
        List<string> args = ["-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others", "--exclude-standard"];
        if (under.Display != ".") args.AddRange(["--", $":(literal){under.Display}"]);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        Sandbox.ProcessResult result;
        try
        {
            result = await context.RunIfPresentAsync("git", args, MaxListingBytes, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
        if (result.ExitCode != 0 || result.Truncated(MaxListingBytes)) return null;

        var files = new List<string>();
        foreach (var relative in result.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal))
        {
            if (relative.Split('/').Contains(".git")) continue;
            var full = Path.Combine(context.Worktree, relative);
            if (IsPlainFile(full)) files.Add(full);
        }
        return files;
    }

    private static List<string> Walk(string root)
    {
        var files = new List<string>();
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(root)]);
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = 0 };
        while (pending.TryPop(out var dir))
        {
            foreach (var entry in dir.EnumerateFileSystemInfos("*", options))
            {
                if (entry.LinkTarget is not null || entry.Name == ".git") continue;
                if (entry is DirectoryInfo sub) pending.Push(sub);
                else files.Add(entry.FullName);
            }
        }
        return files;
    }

    private static bool IsPlainFile(string full)
    {
        var info = new FileInfo(full);
        return info.Exists && info.LinkTarget is null;
    }
}
