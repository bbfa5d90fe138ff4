using System.Text.RegularExpressions;
using AgentFactory.Agents;

namespace AgentFactory.GitHub;

/// <summary>
/// A GitHub repository's "owner/name", checked against GitHub's own name rules before it is used in a
/// path, a URL or an API call. GitHub compares names case-insensitively, so <see cref="Key"/> is
/// lower-case: one mirror per repository whatever the spelling of the event.
/// </summary>
public sealed partial record RepositoryName
{
    private RepositoryName(string owner, string name) => (Owner, Name) = (owner, name);

    public string Owner { get; }
    public string Name { get; }
    public string FullName => $"{Owner}/{Name}";
    public string Key => FullName.ToLowerInvariant();

    public override string ToString() => FullName;

    public static bool TryParse(string? fullName, out RepositoryName repository)
    {
        repository = null!;
        var parts = (fullName ?? "").Split('/');
        if (parts.Length != 2 || !OwnerPattern().IsMatch(parts[0]) || !NamePattern().IsMatch(parts[1]) || parts[1] is "." or "..") return false;
        repository = new RepositoryName(parts[0], parts[1]);
        return true;
    }

    /// <summary>The job's repository.full_name; a missing or malformed one fails the job for good.</summary>
    public static RepositoryName FromJob(AgentJob job, string agentName)
    {
        var fullName = job.PayloadString("repository.full_name")
            ?? throw new PermanentAgentException($"Agent '{agentName}' needs repository.full_name in the job payload (owner/name).");
        return TryParse(fullName, out var repository) ? repository
            : throw new PermanentAgentException($"repository.full_name '{Shown(fullName)}' is not a GitHub repository name (owner/name: letters, digits, '-', '_' and '.').");
    }

    /// <summary>A payload value fit for a message: bounded, one line, no control characters.</summary>
    public static string Shown(string value)
    {
        var cut = value.Length > 80 ? value[..80] + "…" : value;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }

    // Owners: GitHub's letters, digits and hyphens (Enterprise also allows '_' and '.'), not starting with a symbol.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex OwnerPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]{1,100}$")]
    private static partial Regex NamePattern();
}
