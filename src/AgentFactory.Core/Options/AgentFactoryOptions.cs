namespace AgentFactory.Options;

/// <summary>
/// Every setting of the service, read once at start-up from the environment (and .env) by
/// <c>SettingsLoader</c>, which names the variable in every error. Durations are TimeSpans.
/// See docs/configuration.md for the variable behind each property.
/// </summary>
public sealed class AgentFactoryOptions
{
    /// <summary>AGENTFACTORY_DATA_DIR: embedded database and generated secrets.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>GITHUB_WEBHOOK_SECRET (≥ 20 characters), else generated into the data directory. Several may be active during rotation.</summary>
    public IReadOnlyList<string> WebhookSecrets
    {
        get => _secrets;
        set
        {
            _secrets = value;
            _secretBytes = [.. value.Select(System.Text.Encoding.UTF8.GetBytes)];
        }
    }

    private IReadOnlyList<string> _secrets = [];
    private IReadOnlyList<byte[]> _secretBytes = [];

    /// <summary>The webhook secrets as UTF-8 bytes, ready for HMAC.</summary>
    public IReadOnlyList<byte[]> WebhookSecretBytes() => _secretBytes;

    /// <summary>MANUAL_TRIGGER_TOKEN, else generated into the data directory.</summary>
    public string ManualTriggerToken { get; set; } = "";

    /// <summary>Where the secrets came from, for messages ("GITHUB_WEBHOOK_SECRET" or a file path). Never the value.</summary>
    public string WebhookSecretSource { get; set; } = "";
    public string ManualTokenSource { get; set; } = "";

    /// <summary>DATABASE_URL or SUPABASE_DB_URL; null → embedded SQLite in the data directory.</summary>
    public string? DatabaseUrl { get; set; }

    public string SqlitePath => Path.Combine(DataDirectory, "agentfactory.db");

    /// <summary>
    /// DATABASE_LISTEN (true): wake instantly on new jobs through PostgreSQL LISTEN/NOTIFY. Set false
    /// behind a transaction-mode pooler that is not detected by its port (6543); the orchestrator then polls.
    /// </summary>
    public bool DatabaseListen { get; set; } = true;

    /// <summary>RETENTION_COMPLETED_DAYS (7): completed and cancelled jobs are deleted this long after they finished. Zero keeps them forever.</summary>
    public TimeSpan RetentionCompleted { get; set; } = TimeSpan.FromDays(7);

    /// <summary>RETENTION_EVENTS_DAYS (30): webhook events no remaining job refers to are deleted this long after receipt. Zero keeps them forever.</summary>
    public TimeSpan RetentionEvents { get; set; } = TimeSpan.FromDays(30);

    /// <summary>ORCHESTRATOR_LOG_LEVEL: DEBUG, INFO, WARNING, ERROR, CRITICAL.</summary>
    public string LogLevel { get; set; } = "INFO";

    /// <summary>LOG_FORMAT: "text" or "json".</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>TICK_INTERVAL_SECONDS: fallback poll, heartbeat and git sync period.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The one liveness rule (/health, doctor, stats, the dashboard): an orchestrator is alive while its
    /// heartbeat is at most three ticks old. A clean stop deletes the row at once; a crash leaves it to age.
    /// Instances sharing a database are expected to share TICK_INTERVAL_SECONDS.
    /// </summary>
    public TimeSpan LivenessThreshold => TickInterval * 3;

    public bool IsAlive(DateTimeOffset heartbeatAt, DateTimeOffset now) => now - heartbeatAt <= LivenessThreshold;

    /// <summary>
    /// A heartbeat row not refreshed for ten ticks belongs to an instance that died without a clean
    /// stop: it is deleted then, whatever RETENTION_EVENTS_DAYS says, so dead rows do not pile up.
    /// </summary>
    public TimeSpan HeartbeatRetention => TickInterval * 10;

    /// <summary>MAX_CONCURRENT_JOBS per orchestrator instance.</summary>
    public int MaxConcurrentJobs { get; set; } = 3;

    /// <summary>JOB_LEASE_SECONDS: how long a claim lasts without renewal; renewed every third of it.</summary>
    public TimeSpan JobLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>SHUTDOWN_GRACE_SECONDS: how long running jobs may finish after SIGTERM before they are handed back.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>RETRY_BASE_DELAY_SECONDS / RETRY_MAX_DELAY_SECONDS: exponential backoff bounds.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// GIT_SYNC_ENABLED, GIT_SYNC_PATH, GIT_SYNC_TIMEOUT_SECONDS: the guide's `git pull` of the service's
    /// own working copy. Agents never check code out of it (see <see cref="RepositoryPaths"/>).
    /// </summary>
    public bool GitSyncEnabled { get; set; } = true;
    public string? GitSyncPath { get; set; }
    public TimeSpan GitSyncTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// REPOSITORY_PATHS: repositories ("owner/name", compared case-insensitively, stored lower-case)
    /// whose code comes from a local clone (an absolute path) instead of the GitHub host. Agents never
    /// work in these clones: each repository gets its own mirror under the data directory.
    /// </summary>
    public IReadOnlyDictionary<string, string> RepositoryPaths { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The per-repository git mirrors agents' worktrees are made from (private to the service user).</summary>
    public string MirrorDirectory => Path.Combine(DataDirectory, "mirrors");

    /// <summary>Where each job's private worktree lives (private to the service user).</summary>
    public string WorktreeDirectory => Path.Combine(DataDirectory, "worktrees");

    /// <summary>AGENTFACTORY_ROUTING: path of the routing file; null → ./routing.json if present, else the built-in defaults.</summary>
    public string? RoutingFile { get; set; }

    /// <summary>INSTANCE_NAME: this process's name in leases and heartbeats; defaults to host:pid:random.</summary>
    public string InstanceName { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>PUBLIC_URL: the address GitHub should deliver to, used only in the set-up hints.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>
    /// WEBHOOK_FAILURE_LIMIT: unsigned or mis-signed requests one client may send per minute before
    /// it gets 429 for the rest of that minute (0 turns it off). Clients are told apart by IP, taken
    /// from X-Forwarded-For only when the direct peer is a loopback proxy (nginx on the same host).
    /// </summary>
    public int WebhookFailureLimitPerMinute { get; set; } = 30;

    /// <summary>
    /// WEBHOOK_BODY_BUDGET_MB (64): request bodies the service holds in memory at once, across every
    /// webhook and manual request in flight. Past it requests get 503 with Retry-After. At least 26,
    /// so one body of GitHub's maximum size fits.
    /// </summary>
    public long WebhookBodyBudgetBytes { get; set; } = 64L * 1024 * 1024;

    public const int MinSecretLength = 20;

    /// <summary>GitHub caps webhook payloads at 25 MB.</summary>
    public const long MaxWebhookBodyBytes = 25L * 1024 * 1024;
}
