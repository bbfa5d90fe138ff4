namespace AgentFactory.Tests.Support;

/// <summary>
/// A test that needs external programs (nginx, systemd-analyze, …). Where one is missing it is
/// skipped with the package to install — except in CI (CI=true), where .ci/run installs them and a
/// missing tool must fail instead.
/// </summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools) => Skip = Tools.SkipReason(tools);
}

public sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute(params string[] tools) => Skip = Tools.SkipReason(tools);
}

public static class Tools
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"])
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static readonly Dictionary<string, string> Packages = new()
    {
        ["nginx"] = "nginx-light", ["systemd-analyze"] = "systemd", ["bwrap"] = "bubblewrap",
    };

    public static string? SkipReason(string[] tools)
    {
        var missing = tools.Where(t => Find(t) is null).ToList();
        if (missing.Count == 0 || InCi) return null;
        return $"needs {string.Join(", ", missing)}: apt-get install {string.Join(' ', missing.Select(t => Packages.GetValueOrDefault(t, t)).Distinct())} (CI installs them)";
    }
}
