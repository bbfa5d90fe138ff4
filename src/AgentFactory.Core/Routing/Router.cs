using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentFactory.Routing;

/// <summary>A job the router decided to create for a delivery.</summary>
/// <param name="Command">What the comment asked (a slash command or a mention), when the rule reads comments; it goes into the job's payload.</param>
public sealed record RoutedJob(string JobType, int Priority, CommentCommand? Command = null);

/// <summary>Applies the routing rules to one delivery. Pure: no I/O.</summary>
public sealed class Router(RoutingConfig config)
{
    public RoutingConfig Config { get; } = config;

    /// <summary>Every distinct job type whose rule matches, in rule order; empty when the event is only recorded.</summary>
    public IReadOnlyList<RoutedJob> Route(string eventType, JsonElement payload)
    {
        var jobs = new List<RoutedJob>();
        foreach (var rule in Config.Routes)
        {
            if (!Matches(rule, eventType, payload)) continue;
            CommentCommand? command = null;
            if (rule.IsCommentRule && !CommentRouting.Matches(rule, payload, out command)) continue;
            var jobType = string.IsNullOrEmpty(rule.JobType) ? "github_" + eventType : rule.JobType;
            if (jobs.TrueForAll(j => j.JobType != jobType)) jobs.Add(new RoutedJob(jobType, rule.Priority, command));
        }
        return jobs;
    }

    private static bool Matches(RouteRule rule, string eventType, JsonElement payload)
    {
        if (rule.Event != "*" && !string.Equals(rule.Event, eventType, StringComparison.OrdinalIgnoreCase)) return false;
        if (rule.Actions.Count > 0 && !rule.Actions.Contains(Str(payload, "action") ?? "", StringComparer.OrdinalIgnoreCase)) return false;
        // A comment rule without actions reads new comments only: an edit or a deletion repeats no command.
        if (rule.Actions.Count == 0 && rule.IsCommentRule && Str(payload, "action") is { } a && a != "created") return false;
        // Stryker disable once String : the routing file's "on" lists only "issue" and "pull_request", so any other fallback matches nothing alike.
        if (rule.On.Count > 0 && !rule.On.Contains(CommentRouting.SubjectOf(eventType, payload) ?? "", StringComparer.OrdinalIgnoreCase)) return false;
        if (rule.Assignees.Count > 0 && !rule.Assignees.Exists(l => string.Equals(l.TrimStart('@'), Str(payload, "assignee", "login"), StringComparison.OrdinalIgnoreCase))) return false;
        if (eventType == "push" && !rule.IncludeDeletions && payload.TryGetProperty("deleted", out var d) && d.ValueKind == JsonValueKind.True) return false;
        if (rule.Repositories.Count > 0)
        {
            var repo = Str(payload, "repository", "full_name");
            // GitHub repository names are case-insensitive; branch names are not.
            if (repo is null || !rule.Repositories.Exists(g => Glob(g, repo, ignoreCase: true))) return false;
        }
        if (rule.Branches.Count > 0)
        {
            var branch = BranchOf(eventType, payload);
            var defaultBranch = Str(payload, "repository", "default_branch");
            if (branch is null || !rule.Branches.Exists(g => g == "$default" ? branch == defaultBranch : Glob(g, branch))) return false;
        }
        if (rule.Labels.Count > 0)
        {
            var labels = LabelsOf(payload);
            if (!rule.Labels.Exists(l => labels.Contains(l, StringComparer.OrdinalIgnoreCase))) return false;
        }
        return true;
    }

    /// <summary>The branch an event is about: the pushed branch, or a pull request's base branch.</summary>
    public static string? BranchOf(string eventType, JsonElement payload)
    {
        if (eventType == "push")
        {
            var gitRef = Str(payload, "ref");
            return gitRef is not null && gitRef.StartsWith("refs/heads/", StringComparison.Ordinal) ? gitRef["refs/heads/".Length..] : null;
        }
        return Str(payload, "pull_request", "base", "ref");
    }

    private static List<string> LabelsOf(JsonElement payload)
    {
        var added = Str(payload, "label", "name");
        if (added is not null) return [added];
        var names = new List<string>();
        foreach (var owner in new[] { "issue", "pull_request" })
        {
            if (payload.TryGetProperty(owner, out var o) && o.ValueKind == JsonValueKind.Object
                && o.TryGetProperty("labels", out var ls) && ls.ValueKind == JsonValueKind.Array)
            {
                foreach (var l in ls.EnumerateArray())
                    if (Str(l, "name") is { } n) names.Add(n);
            }
        }
        return names;
    }

    /// <summary>The string at a property path, or null.</summary>
    public static string? Str(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return null;
        }
        return e.ValueKind == JsonValueKind.String ? e.GetString() : null;
    }

    // Stryker disable once String : "*" only skips the regex; "^.*$" matches every name GitHub allows too (none holds a line break).
    private static bool Glob(string pattern, string value, bool ignoreCase = false) =>
        pattern == "*" || Regex.IsMatch(value, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$",
            RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None), TimeSpan.FromMilliseconds(100));
}
