using System.Reflection;
using System.Text.Json;
using AgentFactory.Hosting;

namespace AgentFactory.Routing;

/// <summary>Reads the routing file (or the built-in defaults) and checks it once at start-up.</summary>
public static class RoutingLoader
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        // A misspelt field ("branch" for "branches") would silently widen a rule: refuse it instead.
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        Converters = { new DurationConverter() },
    };

    /// <summary>The explicit file, else ./routing.json when present, else the defaults. Returns where it came from.</summary>
    public static (RoutingConfig Config, string Source) Load(string? path)
    {
        if (path is null && File.Exists("routing.json")) path = Path.GetFullPath("routing.json");
        if (path is null) return (Parse(DefaultJson(), "built-in defaults"), "built-in defaults");
        if (!File.Exists(path)) throw new SettingsException($"AGENTFACTORY_ROUTING points to '{path}', which does not exist.");
        return (Parse(File.ReadAllText(path), path), path);
    }

    public static string DefaultJson()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("default-routing.json")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static IEnumerable<string> CommentRuleProblems(int i, RouteRule r)
    {
        foreach (var c in r.Commands.Where(c => !System.Text.RegularExpressions.Regex.IsMatch(c, "^/[A-Za-z][A-Za-z0-9_-]*$")))
            yield return $"routes[{i}].commands has '{c}'; a command is '/' and a word, e.g. \"/fix\" or \"/review\".";
        if (r.Mention is { } m && !System.Text.RegularExpressions.Regex.IsMatch(m, "^@[A-Za-z0-9][A-Za-z0-9-]*(\\[bot\\])?$"))
            yield return $"routes[{i}].mention is '{m}'; use '@' and a GitHub login, e.g. \"@agentfactory\".";
        foreach (var on in r.On.Where(o => o is not ("issue" or "pull_request")))
            yield return $"routes[{i}].on has '{on}'; use \"issue\" and/or \"pull_request\".";
    }

    public static RoutingConfig Parse(string json, string source)
    {
        RoutingConfig config;
        try
        {
            config = JsonSerializer.Deserialize<RoutingConfig>(json, Json) ?? new RoutingConfig();
        }
        catch (JsonException e)
        {
            throw new SettingsException(RoutingFileErrors.Describe(e, source));
        }
        var errors = new List<string>();
        for (var i = 0; i < config.Routes.Count; i++)
        {
            var r = config.Routes[i];
            if (string.IsNullOrWhiteSpace(r.Event)) errors.Add($"routes[{i}].event is required (a GitHub event name such as \"push\", or \"*\").");
            if (r.Event == "*" && string.IsNullOrEmpty(r.JobType)) errors.Add($"routes[{i}] matches any event, so it needs a jobType.");
            errors.AddRange(CommentRuleProblems(i, r));
        }
        foreach (var (jobType, job) in config.Jobs)
        {
            if (job.MaxAttempts is < 1 or > 100) errors.Add($"jobs.{jobType}.maxAttempts must be from 1 to 100 (got {job.MaxAttempts}).");
            if (job.Timeout <= TimeSpan.Zero) errors.Add($"jobs.{jobType}.timeout must be positive, e.g. \"00:30:00\" or \"30m\".");
            if (job.Permission is { } permission && !Trust.RepositoryPermissions.TryParse(permission, out _))
                errors.Add($"jobs.{jobType}.permission is '{permission}'; use one of: {Trust.RepositoryPermissions.Names}.");
            foreach (var on in job.NotifyOn.Where(o => o is not ("completed" or "failed")))
                errors.Add($"jobs.{jobType}.notifyOn has '{on}'; use \"completed\" and/or \"failed\".");
            if (job.Concurrency is { } concurrency) errors.AddRange(ConcurrencyKeyTemplate.Problems(jobType, concurrency));
        }
        if (config.Jobs.TryGetValue(RoutingConfig.AnyJobType, out var any) && any.Manual)
            errors.Add("jobs.\"*\".manual cannot be true: it would let the manual trigger queue any job type, GitHub's included. Set \"manual\": true on each job type POST /webhook/manual may queue.");
        if (errors.Count > 0) throw new SettingsException($"The routing file ({source}) has problems:{Environment.NewLine}" + string.Join(Environment.NewLine, errors));
        return config;
    }
}
