namespace AgentFactory.Tests.Coding.Cli;

/// <summary>
/// A test of a real coding CLI from tests/cli-tools (pinned in its package.json, installed by `npm ci` there,
/// as .ci/run does). Locally it is skipped with that command when the CLIs are not installed; in CI a missing
/// CLI fails. bwrap and socat are needed too.
/// </summary>
public sealed class RealCliFactAttribute : FactAttribute
{
    public RealCliFactAttribute(string cli) => Skip = RealCli.SkipReason(cli) ?? AgentFactory.Tests.Support.Tools.SkipReason(["bwrap", "socat"]);
}

public static class RealCli
{
    public static string Folder { get; } = FindFolder();

    /// <summary>
    /// The installed program of a CLI: node_modules/.bin/claude or codex; for Claude Code its platform binary
    /// when npm left the wrapper's placeholder (its postinstall copies the binary over it, and npm may not run scripts).
    /// </summary>
    public static string Program(string cli)
    {
        var bin = Path.Combine(Folder, "node_modules", ".bin", cli);
        var native = Path.Combine(Folder, "node_modules", "@anthropic-ai", "claude-code-linux-x64", "claude");
        var target = File.Exists(bin) ? File.ResolveLinkTarget(bin, returnFinalTarget: true)?.FullName ?? bin : bin;
        return cli == "claude" && File.Exists(native) && File.Exists(target) && new FileInfo(target).Length < 1_000_000 ? native : bin;
    }

    public static string? SkipReason(string cli) =>
        File.Exists(Program(cli)) || AgentFactory.Tests.Support.Tools.InCi ? null : $"needs the real {cli} CLI: cd tests/cli-tools && npm ci (CI does)";

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "cli-tools");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }
        return Path.Combine(AppContext.BaseDirectory, "cli-tools-not-found");
    }
}
