using System.Text;
using System.Text.RegularExpressions;

namespace AgentFactory.Workspace;

/// <summary>
/// Where git fetches from or pushes to: a URL without credentials (or a local path) and, apart, the
/// credentials for it. Credentials reach git only as configuration in its environment, never in its
/// arguments (which every local user can read in `ps`), its URLs or its messages.
/// </summary>
public sealed record GitRemote(string Url, GitAuth? Auth = null)
{
    /// <summary>
    /// A URL or path an operator configured. A password in it ("https://user:TOKEN@host/…") is taken
    /// out of the URL and sent as an Authorization header for that URL only.
    /// </summary>
    public static GitRemote FromConfigured(string urlOrPath)
    {
        if (!Uri.TryCreate(urlOrPath, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length == 0)
            return new GitRemote(urlOrPath);
        var bare = WithoutUserInfo(uri);
        var separator = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
        var user = Uri.UnescapeDataString(separator < 0 ? uri.UserInfo : uri.UserInfo[..separator]);
        // "https://TOKEN@github.com/…" is GitHub's token-as-user form; it is a secret too.
        var password = separator < 0 ? "" : Uri.UnescapeDataString(uri.UserInfo[(separator + 1)..]);
        return new GitRemote(bare.AbsoluteUri, GitAuth.Basic(bare, user, password));
    }

    public static Uri WithoutUserInfo(Uri uri) => new UriBuilder(uri) { UserName = "", Password = "" }.Uri;

    /// <summary>True when the remote is on <paramref name="host"/> (same scheme, host and port).</summary>
    public bool IsOn(Uri host) =>
        Uri.TryCreate(Url, UriKind.Absolute, out var uri) && Uri.Compare(uri, host, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    public override string ToString() => Url;
}

/// <summary>HTTP credentials for git: an Authorization header sent only to URLs under <see cref="Scope"/>.</summary>
public sealed class GitAuth
{
    private GitAuth(Uri scope, string header, IReadOnlyList<string> secrets) => (Scope, Header, Secrets) = (scope, header, secrets);

    public Uri Scope { get; }
    internal string Header { get; }

    /// <summary>The values to cut out of anything git prints.</summary>
    internal IReadOnlyList<string> Secrets { get; }

    public static GitAuth Basic(Uri scope, string user, string password)
    {
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));
        // A user name alone is the secret in the token-as-user form.
        var secret = password.Length > 0 ? password : user;
        return new GitAuth(scope, "Authorization: Basic " + basic, [.. new[] { secret, basic }.Where(s => s.Length > 0)]);
    }

    /// <summary>GitHub's form for a token over HTTPS: user "x-access-token", the token as the password.</summary>
    public static GitAuth Token(Uri scope, string token) => Basic(scope, "x-access-token", token);
}

/// <summary>
/// Configuration handed to one git command through GIT_CONFIG_COUNT/KEY_n/VALUE_n (its environment,
/// readable only by the service user), with the secrets it holds so that git's output can be redacted.
/// </summary>
public sealed class GitConfig
{
    private readonly List<(string Key, string Value)> _entries = [];
    private readonly List<string> _secrets = [];

    public IReadOnlyList<string> Secrets => _secrets;

    public GitConfig Set(string key, string value)
    {
        _entries.Add((key, value));
        return this;
    }

    public bool IsEmpty => _entries.Count == 0;

    public GitConfig With(GitAuth? auth)
    {
        if (auth is null) return this;
        // http.<url>.extraHeader: sent to that scheme, host, port and path prefix only.
        _entries.Add(($"http.{auth.Scope.AbsoluteUri}.extraHeader", auth.Header));
        _secrets.AddRange(auth.Secrets);
        return this;
    }

    public static GitConfig For(GitAuth? auth) => new GitConfig().With(auth);

    internal void AddTo(IDictionary<string, string> env)
    {
        if (_entries.Count == 0) return;
        env["GIT_CONFIG_COUNT"] = _entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < _entries.Count; i++)
        {
            env[$"GIT_CONFIG_KEY_{i}"] = _entries[i].Key;
            env[$"GIT_CONFIG_VALUE_{i}"] = _entries[i].Value;
        }
    }
}

/// <summary>Cuts credentials out of text git printed or was given: URL user-info, known secrets and GitHub token shapes.</summary>
public static partial class GitRedaction
{
    public const string Mask = "***";

    public static string Redact(string text, IEnumerable<string>? secrets = null)
    {
        if (string.IsNullOrEmpty(text)) return text;
        foreach (var secret in secrets ?? [])
            if (secret.Length > 0) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        text = UserInfo().Replace(text, "$1" + Mask + "@");
        text = GitHubToken().Replace(text, Mask);
        return BasicHeader().Replace(text, "$1" + Mask);
    }

    [GeneratedRegex(@"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'""<>]+@")]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"(?i)(authorization:\s*(?:basic|bearer|token)\s+)\S+")]
    private static partial Regex BasicHeader();
}
