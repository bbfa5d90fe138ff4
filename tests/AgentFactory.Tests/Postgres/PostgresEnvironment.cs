using System.Diagnostics;

namespace AgentFactory.Tests.Postgres;

/// <summary>
/// Where the PostgreSQL tests get a server: AGENTFACTORY_TEST_POSTGRES (a connection string to an
/// existing server), else local server binaries (initdb, pg_ctl) from which the suite starts its own.
/// Without either the tests are skipped, except under CI=true, where they fail and say why.
/// </summary>
public static class PostgresEnvironment
{
    public const string ExternalVariable = "AGENTFACTORY_TEST_POSTGRES";

    public static string? External { get; } = Environment.GetEnvironmentVariable(ExternalVariable) is { Length: > 0 } v ? v : null;

    public static string? BinDir { get; } = FindBinDir();

    public static bool IsCi { get; } = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private const string HowToEnable =
        "Install the server (Debian: apt-get install postgresql; the tests look in /usr/lib/postgresql/*/bin and pg_config --bindir) " +
        $"or set {ExternalVariable} to a connection string of a server where the tests may create databases.";

    /// <summary>Null when the test can run; otherwise why it is skipped. Under CI nothing is skipped.</summary>
    public static string? SkipReason(bool needsServerBinaries)
    {
        if (IsCi) return null;
        if (BinDir is not null) return null;
        if (needsServerBinaries) return "Skipped: this test stops and restarts its own PostgreSQL server, and no PostgreSQL server binaries were found. " + HowToEnable;
        return External is null ? "Skipped: no PostgreSQL available. " + HowToEnable : null;
    }

    /// <summary>The failure a test reports when it must run (CI) but has no server.</summary>
    public static InvalidOperationException Missing(bool needsServerBinaries) => new(
        (needsServerBinaries ? "This test needs PostgreSQL server binaries (initdb, pg_ctl) to start and stop its own server, and none were found. "
                             : "The PostgreSQL tests found no server binaries and no external server. ") + HowToEnable);

    private static string? FindBinDir()
    {
        static bool Has(string? dir) => dir is not null && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));
        if (Has("/usr/lib/postgresql/15/bin")) return "/usr/lib/postgresql/15/bin";
        var fromPgConfig = PgConfigBinDir();
        if (Has(fromPgConfig)) return fromPgConfig;
        if (!Directory.Exists("/usr/lib/postgresql")) return null;
        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(Has)
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    private static string? PgConfigBinDir()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, RedirectStandardError = true });
            if (p is null) return null;
            var output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no pg_config on PATH
        }
    }
}
