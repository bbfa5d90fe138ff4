namespace AgentFactory.Trust;

/// <summary>GitHub's repository roles, weakest first: each includes the ones before it.</summary>
public enum RepositoryAccess
{
    None = 0,
    Read = 1,
    Triage = 2,
    Write = 3,
    Maintain = 4,
    Admin = 5,
}

/// <summary>The names the routing file's <c>permission</c> setting and GitHub's API use for <see cref="RepositoryAccess"/>.</summary>
public static class RepositoryPermissions
{
    /// <summary>The accepted values, for messages.</summary>
    public const string Names = "none, read, triage, write, maintain, admin";

    public static bool TryParse(string? name, out RepositoryAccess permission)
    {
        permission = RepositoryAccess.None;
        switch (name?.Trim().ToLowerInvariant())
        {
            case "none": permission = RepositoryAccess.None; return true;
            case "read" or "pull": permission = RepositoryAccess.Read; return true;
            case "triage": permission = RepositoryAccess.Triage; return true;
            case "write" or "push": permission = RepositoryAccess.Write; return true;
            case "maintain": permission = RepositoryAccess.Maintain; return true;
            case "admin": permission = RepositoryAccess.Admin; return true;
            default: return false;
        }
    }

    public static string Name(this RepositoryAccess permission) => permission.ToString().ToLowerInvariant();

    /// <summary>
    /// A user's level from GitHub's answer to GET /repos/{owner}/{repo}/collaborators/{username}/permission:
    /// <c>permission</c> knows only admin, write, read and none, so <c>role_name</c> (which adds triage and
    /// maintain) wins when it is one of the built-in roles; a custom role falls back to <c>permission</c>.
    /// Anything unrecognised is none.
    /// </summary>
    public static RepositoryAccess FromAnswer(string? permission, string? roleName)
    {
        var legacy = TryParse(permission, out var p) ? p : RepositoryAccess.None;
        return TryParse(roleName, out var role) && role >= legacy ? role : legacy;
    }
}
