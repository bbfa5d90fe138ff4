using System.Globalization;
using System.Security.Cryptography;
using AgentFactory.Options;
using AgentFactory.Queue.Postgres;

namespace AgentFactory.Hosting;

/// <summary>A setting is missing or out of range; the message names the variable and the fix.</summary>
public sealed class SettingsException(string message) : Exception(message);

/// <summary>
/// Builds <see cref="AgentFactoryOptions"/> from environment variables, once, at start-up. Every
/// problem is collected and reported together, each naming its variable.
/// </summary>
public static class SettingsLoader
{
    public static AgentFactoryOptions Load(Func<string, string?> env, bool createSecrets)
    {
        var reader = new EnvReader(env);
        var errors = new List<string>();
        var o = new AgentFactoryOptions
        {
            DataDirectory = Path.GetFullPath(reader.Get("AGENTFACTORY_DATA_DIR") ?? "data"),
            LogLevel = (reader.Get("ORCHESTRATOR_LOG_LEVEL") ?? "INFO").ToUpperInvariant(),
            LogFormat = (reader.Get("LOG_FORMAT") ?? "text").ToLowerInvariant(),
            TickInterval = Seconds(reader, "TICK_INTERVAL_SECONDS", 60, 1, 86_400, errors),
            MaxConcurrentJobs = (int)Number(reader, "MAX_CONCURRENT_JOBS", 3, 1, 1_000, errors),
            JobLease = Seconds(reader, "JOB_LEASE_SECONDS", 30, 2, 3_600, errors),
            ShutdownGrace = Seconds(reader, "SHUTDOWN_GRACE_SECONDS", 30, 0, 3_600, errors),
            RetryBaseDelay = Seconds(reader, "RETRY_BASE_DELAY_SECONDS", 10, 0, 86_400, errors),
            RetryMaxDelay = Seconds(reader, "RETRY_MAX_DELAY_SECONDS", 3_600, 0, 604_800, errors),
            GitSyncEnabled = Bool(reader, "GIT_SYNC_ENABLED", true, errors),
            GitSyncPath = reader.Get("GIT_SYNC_PATH"),
            GitSyncTimeout = Seconds(reader, "GIT_SYNC_TIMEOUT_SECONDS", 60, 1, 3_600, errors),
            RoutingFile = reader.Get("AGENTFACTORY_ROUTING"),
            PublicUrl = reader.Get("PUBLIC_URL"),
            WebhookFailureLimitPerMinute = (int)Number(reader, "WEBHOOK_FAILURE_LIMIT", 30, 0, 1_000_000, errors),
            WebhookBodyBudgetBytes = (long)Number(reader, "WEBHOOK_BODY_BUDGET_MB", 64, 26, 65_536, errors) * 1024 * 1024,
            DatabaseUrl = reader.Get("DATABASE_URL") ?? reader.Get("SUPABASE_DB_URL"),
            DatabaseListen = Bool(reader, "DATABASE_LISTEN", true, errors),
            RetentionCompleted = Days(reader, "RETENTION_COMPLETED_DAYS", 7, errors),
            RetentionEvents = Days(reader, "RETENTION_EVENTS_DAYS", 30, errors),
        };
        if (reader.Get("INSTANCE_NAME") is { } name) o.InstanceName = name;
        o.RepositoryPaths = RepositoryPaths(reader.Get("REPOSITORY_PATHS"), errors);

        if (o.LogLevel == "WARN") o.LogLevel = "WARNING";
        if (o.LogLevel is not ("TRACE" or "DEBUG" or "INFO" or "WARNING" or "ERROR" or "CRITICAL"))
            errors.Add($"ORCHESTRATOR_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL (got '{o.LogLevel}').");
        if (o.LogFormat is not ("text" or "json"))
            errors.Add($"LOG_FORMAT must be 'text' or 'json' (got '{o.LogFormat}').");
        if (o.RetryMaxDelay < o.RetryBaseDelay)
            errors.Add("RETRY_MAX_DELAY_SECONDS must be at least RETRY_BASE_DELAY_SECONDS.");
        if (o.DatabaseUrl is not null)
        {
            var variable = reader.Get("DATABASE_URL") is null ? "SUPABASE_DB_URL" : "DATABASE_URL";
            try { PostgresConnectionString.Parse(o.DatabaseUrl); }
            catch (FormatException e) { errors.Add($"{variable}: {e.Message}"); }
        }
        if (o.DatabaseUrl is null && (reader.Get("SUPABASE_URL") is not null || reader.Get("SUPABASE_KEY") is not null))
            errors.Add("SUPABASE_URL/SUPABASE_KEY are the REST API credentials; this service talks to Postgres directly. " +
                       "Set DATABASE_URL (or SUPABASE_DB_URL) to the connection string from the Supabase dashboard: " +
                       "Project → Connect → Connection string (URI), e.g. postgresql://postgres.<ref>:<password>@<host>:5432/postgres. " +
                       "Or unset SUPABASE_URL/SUPABASE_KEY to use the embedded SQLite queue.");

        var secrets = SplitSecrets(reader.Get("GITHUB_WEBHOOK_SECRET"));
        if (secrets.Count > 0)
        {
            foreach (var s in secrets.Where(s => s.Length < AgentFactoryOptions.MinSecretLength))
                errors.Add($"GITHUB_WEBHOOK_SECRET must be at least {AgentFactoryOptions.MinSecretLength} characters (this one has {s.Length}). Generate one with: agentfactory secret");
            o.WebhookSecrets = secrets;
            o.WebhookSecretSource = "GITHUB_WEBHOOK_SECRET";
        }
        var token = reader.Get("MANUAL_TRIGGER_TOKEN");
        if (token is not null)
        {
            if (token.Length < 16) errors.Add($"MANUAL_TRIGGER_TOKEN must be at least 16 characters (this one has {token.Length}).");
            o.ManualTriggerToken = token;
            o.ManualTokenSource = "MANUAL_TRIGGER_TOKEN";
        }

        errors.InsertRange(0, reader.Errors);
        if (errors.Count > 0) throw new SettingsException(string.Join(Environment.NewLine, errors));

        if (createSecrets)
        {
            if (o.WebhookSecrets.Count == 0)
            {
                var (value, path) = SecretFile(o.DataDirectory, "webhook-secret");
                o.WebhookSecrets = [value];
                o.WebhookSecretSource = path;
            }
            if (o.ManualTriggerToken.Length == 0)
            {
                var (value, path) = SecretFile(o.DataDirectory, "manual-token");
                o.ManualTriggerToken = value;
                o.ManualTokenSource = path;
            }
        }
        return o;
    }

    /// <summary>Files created by this run (for the first-run hints).</summary>
    public static List<string> CreatedSecretFiles { get; } = [];

    /// <summary>A strong random secret: 32 random bytes, base64url (like Python's secrets.token_urlsafe(32)).</summary>
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (string Value, string Path) SecretFile(string dataDir, string name)
    {
        CreatePrivateDirectory(dataDir);
        var path = Path.Combine(dataDir, name);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length >= AgentFactoryOptions.MinSecretLength) return (existing, path);
            throw new SettingsException($"{path} holds a secret shorter than {AgentFactoryOptions.MinSecretLength} characters. Delete the file to generate a new one.");
        }
        var secret = NewSecret();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(secret + "\n");
        CreatedSecretFiles.Add(path);
        return (secret, path);
    }

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                              UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// The data directory (and its keys and sessions) holds the database and secrets: only its owner
    /// may enter it. Created 0700; one that already existed with a wider mode is set to 0700, and when
    /// this user may not change it (another user owns it) start-up stops with what to run.
    /// </summary>
    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, OwnerOnly);
            return;
        }
        MakeOwnerOnly(path, OwnerOnly, "directory");
    }

    /// <summary>
    /// REPOSITORY_PATHS: "owner/name=/path/to/clone" entries, comma-separated. Each path must be an
    /// absolute path to a git repository (a working clone or a bare one) that exists now.
    /// </summary>
    private static Dictionary<string, string> RepositoryPaths(string? value, List<string> errors)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var (repository, path) = equals < 0 ? (entry, "") : (entry[..equals].Trim(), entry[(equals + 1)..].Trim());
            if (!GitHub.RepositoryName.TryParse(repository, out var name) || path.Length == 0)
                errors.Add($"REPOSITORY_PATHS entries are owner/name=/absolute/path/to/a/clone, comma-separated (got '{entry}').");
            else if (!Path.IsPathFullyQualified(path))
                errors.Add($"REPOSITORY_PATHS: the path for {repository} must be absolute (got '{path}').");
            else if (!Directory.Exists(Path.Combine(path, ".git")) && !File.Exists(Path.Combine(path, ".git")) && !File.Exists(Path.Combine(path, "HEAD")))
                errors.Add($"REPOSITORY_PATHS: {path} (for {repository}) is not a git repository. Clone {repository} there, or correct the path.");
            else if (!paths.TryAdd(name.Key, Path.GetFullPath(path)))
                errors.Add($"REPOSITORY_PATHS names {repository} twice.");
        }
        return paths;
    }

    /// <summary>
    /// Takes group and other permissions off an existing file or directory (e.g. the SQLite database, its
    /// -wal and -shm), or stops with the command that fixes it when this user does not own it.
    /// </summary>
    public static void MakeOwnerOnly(string path, UnixFileMode wanted, string what)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) == 0) return;
        try
        {
            File.SetUnixFileMode(path, wanted);
        }
        catch (UnauthorizedAccessException)
        {
            throw new SettingsException(
                $"The {what} {path} can be read by other users (mode {Octal(mode)}) and this user may not change that: it belongs to someone else. " +
                $"As its owner run `chmod {Octal(wanted)} {path}`, or `chown` it to the service user, or set AGENTFACTORY_DATA_DIR to a directory of the service user.");
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');

    private static List<string> SplitSecrets(string? value) =>
        value is null ? [] : [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static TimeSpan Seconds(EnvReader env, string name, double fallback, double min, double max, List<string> errors) =>
        TimeSpan.FromSeconds(Number(env, name, fallback, min, max, errors));

    /// <summary>A retention period in days; 0 means keep forever.</summary>
    private static TimeSpan Days(EnvReader env, string name, double fallback, List<string> errors)
    {
        var raw = env.Get(name);
        if (raw is null) return TimeSpan.FromDays(fallback);
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var days) && days is >= 0 and <= 36_500)
            return TimeSpan.FromDays(days);
        errors.Add($"{name} must be a number of days from 0 (keep forever) to 36500 (got '{raw}').");
        return TimeSpan.FromDays(fallback);
    }

    private static double Number(EnvReader env, string name, double fallback, double min, double max, List<string> errors)
    {
        var raw = env.Get(name);
        if (raw is null) return fallback;
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
        errors.Add($"{name} must be a number from {min} to {max} (got '{raw}').");
        return fallback;
    }

    private static bool Bool(EnvReader env, string name, bool fallback, List<string> errors)
    {
        var raw = env.Get(name);
        switch (raw?.ToLowerInvariant())
        {
            case null: return fallback;
            case "true" or "1" or "yes" or "on": return true;
            case "false" or "0" or "no" or "off": return false;
            default: errors.Add($"{name} must be true or false (got '{raw}')."); return fallback;
        }
    }
}
