using AgentFactory.GitHub;
using AgentFactory.Hosting;

namespace AgentFactory.Redelivery;

/// <summary>
/// The optional redelivery schedule run by the orchestrator role: REDELIVER_INTERVAL_MINUTES
/// (0 or unset: off), REDELIVER_TARGETS ("repo:owner/name:123,org:acme:456,app") and
/// REDELIVER_LOOKBACK_HOURS (how far back each pass looks; GitHub keeps 3 days).
/// </summary>
public sealed class RedeliverySettings
{
    public TimeSpan Interval { get; init; }
    public IReadOnlyList<HookTarget> Targets { get; init; } = [];
    public TimeSpan Lookback { get; init; } = TimeSpan.FromHours(24);

    public bool Enabled => Interval > TimeSpan.Zero && Targets.Count > 0;

    public static RedeliverySettings Load(EnvReader env, GitHubSettings github)
    {
        var minutes = env.Count("REDELIVER_INTERVAL_MINUTES", 0, 0, 24 * 60);
        var hours = env.Count("REDELIVER_LOOKBACK_HOURS", 24, 1, 72);
        var targets = new List<HookTarget>();
        foreach (var item in (env.Get("REDELIVER_TARGETS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (target, error) = HookTarget.Parse(item);
            if (target is null) env.Error($"REDELIVER_TARGETS: {error}.");
            else targets.Add(target);
        }
        if (minutes > 0)
        {
            if (targets.Count == 0)
                env.Error("REDELIVER_INTERVAL_MINUTES is set but REDELIVER_TARGETS is empty: list the hooks, e.g. repo:owner/name:123,org:acme:456,app.");
            if (targets.Exists(t => t.Kind != HookKind.App) && github.Token is null && (github.AppId is null || github.AppInstallationId is null))
                env.Error("REDELIVER_TARGETS names repository or organisation hooks: set GITHUB_TOKEN, or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY with GITHUB_APP_INSTALLATION_ID.");
            if (targets.Exists(t => t.Kind == HookKind.App) && github.AppId is null)
                env.Error("REDELIVER_TARGETS names the App hook (app): set GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY.");
        }
        return new RedeliverySettings { Interval = TimeSpan.FromMinutes(minutes), Targets = targets, Lookback = TimeSpan.FromHours(hours) };
    }
}
