using System.Text.Json;

namespace AgentFactory.Routing;

/// <summary>
/// The routing file (routing.json): which deliveries become which jobs, which agent runs each job
/// type, the agents themselves and the models they may use. The shipped defaults are the guide's four workflows.
/// </summary>
public sealed class RoutingConfig
{
    public List<RouteRule> Routes { get; set; } = [];

    /// <summary>Job type → how to run it. The key "*" applies to job types not listed.</summary>
    public Dictionary<string, JobTypeSettings> Jobs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Agent name → its settings; each has a "kind" ("command", "log", …).</summary>
    public Dictionary<string, JsonElement> Agents { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Model name → where it is, its limits and prices (see docs/models.md). Checked when the orchestrator starts.</summary>
    public Dictionary<string, Models.ModelEntry> Models { get; set; } = new(StringComparer.Ordinal);

    public const string AnyJobType = "*";

    /// <summary>The job types POST /webhook/manual may queue: those listed with <see cref="JobTypeSettings.Manual"/>.</summary>
    public IReadOnlyList<string> ManualJobTypes =>
        [.. Jobs.Where(j => j.Value.Manual && j.Key != AnyJobType).Select(j => j.Key).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The settings for a job type: its own entry, else "*", else the built-in defaults. Ingest, the
    /// orchestrator and the notifier each read them, possibly in different processes with different
    /// routing files, so when each one takes effect is fixed here, for every setting:
    /// <list type="bullet">
    /// <item>frozen on the job row at ingest: <see cref="JobTypeSettings.MaxAttempts"/>, the rendered key and mode of <see cref="JobTypeSettings.Concurrency"/> (and the job type and priority of the rule);</item>
    /// <item>resolved when the orchestrator claims the job: <see cref="JobTypeSettings.Agent"/>, <see cref="JobTypeSettings.Timeout"/> and <see cref="JobTypeSettings.Permission"/>
    /// (ingest also applies the checks that need no GitHub call, with its own routing, so a refused job is never created);</item>
    /// <item>resolved when the job ends, by the orchestrator that ran it: <see cref="JobTypeSettings.Notify"/> and <see cref="JobTypeSettings.NotifyOn"/>;</item>
    /// <item>resolved by the orchestrator running an attempt, at its start and end: <see cref="JobTypeSettings.TrackingComment"/>.</item>
    /// </list>
    /// A setting that must hold across instances and restarts belongs on the row.
    /// </summary>
    public JobTypeSettings SettingsFor(string jobType) =>
        Jobs.TryGetValue(jobType, out var s) ? s
        : Jobs.TryGetValue(AnyJobType, out var any) ? any
        : JobTypeSettings.Default;
}

/// <summary>
/// One rule: a delivery whose event (and optionally action, branch, label, repository) matches
/// becomes a job of <see cref="JobType"/>. Lists match when any entry matches; globs allow '*'.
/// </summary>
public sealed class RouteRule
{
    /// <summary>X-GitHub-Event value, e.g. "push", "issues"; "*" for any.</summary>
    public string Event { get; set; } = "";

    /// <summary>Payload "action" values, e.g. ["labeled"]. Empty: any.</summary>
    public List<string> Actions { get; set; } = [];

    /// <summary>Branch globs; "$default" is the repository's default branch. Push: the pushed branch; pull_request: the base branch.</summary>
    public List<string> Branches { get; set; } = [];

    /// <summary>Label names: the label just added ("label.name"), else any label on the issue or pull request.</summary>
    public List<string> Labels { get; set; } = [];

    /// <summary>Repository globs on "owner/name".</summary>
    public List<string> Repositories { get; set; } = [];

    /// <summary>The job type to create; empty means "github_" + event.</summary>
    public string JobType { get; set; } = "";

    /// <summary>Higher runs first.</summary>
    public int Priority { get; set; }

    /// <summary>Whether a push that deletes a branch matches (it has no commits to act on).</summary>
    public bool IncludeDeletions { get; set; }

    /// <summary>Slash commands ("/fix") one of which the comment (comment.body) must start with, optionally after <see cref="Mention"/>. Empty: any comment.</summary>
    public List<string> Commands { get; set; } = [];

    /// <summary>
    /// A login to mention ("@agentfactory"). Alone: the comment must mention it. With <see cref="Commands"/>: the command
    /// may follow it at the comment's start ("@agentfactory /fix …").
    /// </summary>
    public string? Mention { get; set; }

    /// <summary>"issue" and/or "pull_request": what the event is about (an issue_comment on a pull request is about a pull request). Empty: either.</summary>
    public List<string> On { get; set; } = [];

    /// <summary>Logins one of which must be the account just assigned (assignee.login of issues/pull_request "assigned"). Empty: any.</summary>
    public List<string> Assignees { get; set; } = [];

    /// <summary>Whether the rule reads the comment (it names commands or a mention).</summary>
    public bool IsCommentRule => Commands.Count > 0 || !string.IsNullOrEmpty(Mention);
}

/// <summary>How jobs of one type run.</summary>
public sealed class JobTypeSettings
{
    public static JobTypeSettings Default { get; } = new();

    /// <summary>The agent name (a key under "agents", or a built-in such as "log"). Resolved at claim.</summary>
    public string Agent { get; set; } = "log";

    /// <summary>Attempts before the job ends failed (1 = no retry). Frozen on the row at ingest.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How long one attempt may run before it is cancelled and counted as failed. Resolved at claim.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Channels told when a job of this type ends: "telegram", "slack", or "*" for every configured one.</summary>
    public List<string> Notify { get; set; } = [];

    /// <summary>Which endings are told: "completed", "failed" (both by default).</summary>
    public List<string> NotifyOn { get; set; } = ["completed", "failed"];

    /// <summary>
    /// Whether POST /webhook/manual may queue this job type (false by default). The manual token is not
    /// GitHub: a job type whose agent trusts its payload as a GitHub event (github_issue, github_release)
    /// must not be open to it. Not allowed on "*", so each manual job type is named.
    /// </summary>
    public bool Manual { get; set; }

    /// <summary>
    /// The repository permission a delivery's sender needs to start this job type: "none", "read", "triage",
    /// "write", "maintain" or "admin". Unset: "none" when the agent is the built-in "log", else "write".
    /// Anything but "none" also refuses bots and the service's own account. Resolved at claim (the orchestrator
    /// asks GitHub); docs/security.md says when the answer is taken from the event instead.
    /// </summary>
    public string? Permission { get; set; }

    /// <summary>
    /// Jobs of this type that share a key rendered from the payload: supersede, serialize or skip (see
    /// <see cref="ConcurrencyKeyTemplate"/>). Null: none. The key and mode are frozen on the row at ingest.
    /// </summary>
    public ConcurrencySettings? Concurrency { get; set; }

    /// <summary>
    /// Whether the orchestrator keeps one comment per job on its issue or pull request, written when it starts and
    /// edited to its final state (docs/workflows.md). False by default. Resolved by the orchestrator that runs the job.
    /// </summary>
    public bool TrackingComment { get; set; }

    /// <summary>The new job for <paramref name="payload"/>: type, priority, attempts and concurrency key, as ingest freezes them.</summary>
    public Jobs.NewJob NewJob(string jobType, string payload, int priority) =>
        new(jobType, payload, priority, MaxAttempts, Concurrency: ConcurrencyKeyTemplate.For(Concurrency, payload));

    /// <summary>The same, with the key read from <paramref name="parsed"/>, the payload already parsed by the caller (ingest parses it once).</summary>
    public Jobs.NewJob NewJob(string jobType, string payload, int priority, System.Text.Json.JsonElement parsed) =>
        new(jobType, payload, priority, MaxAttempts, Concurrency: ConcurrencyKeyTemplate.For(Concurrency, parsed));
}
