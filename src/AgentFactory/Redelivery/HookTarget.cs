using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentFactory.Redelivery;

public enum HookKind { Repository, Organization, App }

/// <summary>
/// One webhook whose deliveries can be listed and redelivered: a repository hook, an organisation
/// hook, or the GitHub App's own hook (which needs the App JWT rather than a token).
/// </summary>
public sealed partial record HookTarget(HookKind Kind, string? Owner, long? HookId)
{
    public static HookTarget Repository(string fullName, long hookId) => new(HookKind.Repository, fullName, hookId);
    public static HookTarget Organization(string org, long hookId) => new(HookKind.Organization, org, hookId);
    public static readonly HookTarget App = new(HookKind.App, null, null);

    /// <summary>The deliveries collection, relative to GITHUB_API_URL.</summary>
    public string DeliveriesPath => Kind switch
    {
        HookKind.Repository => $"repos/{Owner}/hooks/{HookId}/deliveries",
        HookKind.Organization => $"orgs/{Owner}/hooks/{HookId}/deliveries",
        _ => "app/hook/deliveries",
    };

    /// <summary>The hook id stored with each delivery (X-GitHub-Hook-ID); null for the App hook, whose id the API does not name.</summary>
    public string? StoredHookId => HookId?.ToString(CultureInfo.InvariantCulture);

    public override string ToString() => Kind switch
    {
        HookKind.Repository => $"repo:{Owner}:{HookId}",
        HookKind.Organization => $"org:{Owner}:{HookId}",
        _ => "app",
    };

    /// <summary>Parses "repo:owner/name:123", "org:acme:456" or "app"; null with a reason otherwise.</summary>
    public static (HookTarget? Target, string? Error) Parse(string text)
    {
        var parts = text.Trim().Split(':');
        if (parts is ["app"]) return (App, null);
        if (parts.Length == 3 && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
        {
            if (parts[0] == "repo" && RepoName().IsMatch(parts[1])) return (Repository(parts[1], id), null);
            if (parts[0] == "org" && OrgName().IsMatch(parts[1])) return (Organization(parts[1], id), null);
        }
        return (null, $"'{text}' is not repo:OWNER/NAME:HOOK_ID, org:ORG:HOOK_ID or app");
    }

    public static bool IsRepoName(string name) => RepoName().IsMatch(name);
    public static bool IsOrgName(string name) => OrgName().IsMatch(name);

    [GeneratedRegex(@"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")]
    private static partial Regex RepoName();

    [GeneratedRegex(@"^[A-Za-z0-9-]+$")]
    private static partial Regex OrgName();
}
