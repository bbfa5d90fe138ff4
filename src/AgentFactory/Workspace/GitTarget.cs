using System.Text.RegularExpressions;
using AgentFactory.Agents;
using AgentFactory.GitHub;

namespace AgentFactory.Workspace;

/// <summary>
/// What to check out: a commit, a tag or the tip of a branch. Each is checked to be what it claims
/// before any git command sees it, so a payload value can never be an option ("--upload-pack=…"),
/// a revision expression ("v1.1~1", "HEAD") or another kind of ref ("refs/heads/main").
/// </summary>
public sealed partial record GitTarget
{
    private GitTarget(string kind, string name) => (Kind, Name) = (kind, name);

    public string Kind { get; }
    public string Name { get; }

    /// <summary>The full ref the target names (refs/tags/…, refs/heads/…), or the SHA itself.</summary>
    public string Ref => Kind switch { "tag" => "refs/tags/" + Name, "branch" => "refs/heads/" + Name, _ => Name };

    /// <param name="field">Where the value came from (a payload field), for the message when it is refused.</param>
    public static GitTarget Commit(string sha, string field = "commit") =>
        IsCommitSha(sha) ? new("commit", sha)
            : throw new PermanentAgentException($"{field} '{RepositoryName.Shown(sha)}' is not a commit SHA (40 lower-case hexadecimal characters).");

    public static GitTarget Tag(string tag, string field = "tag") =>
        IsRefName(tag) ? new("tag", tag) : throw Refused(field, tag, "tag");

    public static GitTarget Branch(string branch, string field = "branch") =>
        IsRefName(branch) ? new("branch", branch) : throw Refused(field, branch, "branch");

    public override string ToString() => $"{Kind} {Name}";

    public static bool IsCommitSha(string? value) => value is not null && Sha().IsMatch(value);

    /// <summary>
    /// A tag or branch name as `git check-ref-format` accepts it under refs/tags/ or refs/heads/, and
    /// also not "HEAD", not starting with '-' (an option) and not starting with "refs/" (another ref).
    /// </summary>
    public static bool IsRefName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 255) return false;
        if (name[0] == '-' || name is "HEAD" or "@" || name.StartsWith("refs/", StringComparison.Ordinal)) return false;
        if (name.Contains("..", StringComparison.Ordinal) || name.Contains("@{", StringComparison.Ordinal) || name.Contains("//", StringComparison.Ordinal)) return false;
        if (name[0] == '/' || name[^1] is '/' or '.') return false;
        foreach (var c in name)
            if (c < 0x20 || c == 0x7f || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\') return false;
        foreach (var component in name.Split('/'))
            if (component.StartsWith('.') || component.EndsWith(".lock", StringComparison.Ordinal)) return false;
        return true;
    }

    private static PermanentAgentException Refused(string field, string value, string kind) =>
        new($"{field} '{RepositoryName.Shown(value)}' is not a {kind} name: git refuses spaces, '~', '^', ':', '?', '*', '[', '\\', '..' and control characters, " +
            "and Agent Factory also refuses names that start with '-' or 'refs/' and the name HEAD (see git check-ref-format).");

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex Sha();
}
