using System.Security.Cryptography;
using AgentFactory.Hosting;

namespace AgentFactory.GitHub;

/// <summary>
/// How agents reach GitHub: GITHUB_TOKEN, or a GitHub App (GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY
/// or GITHUB_APP_PRIVATE_KEY_FILE; the installation comes from the event's installation.id, else
/// GITHUB_APP_INSTALLATION_ID), against GITHUB_API_URL (GitHub Enterprise: https://HOST/api/v3/).
/// When both are set the App is used for events that name an installation, the token otherwise.
/// </summary>
public sealed class GitHubSettings
{
    public static readonly Uri PublicApi = new("https://api.github.com/");

    public Uri ApiUrl { get; init; } = PublicApi;
    public string? Token { get; init; }
    public long? AppId { get; init; }
    public string? AppPrivateKeyPem { get; init; }
    public long? AppInstallationId { get; init; }

    /// <summary>GITHUB_MAX_RETRIES: retries of one request on a rate limit or a 5xx/network error (reads only).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>GITHUB_MAX_RETRY_WAIT_SECONDS: the longest wait for a rate limit to reset; longer waits fail the attempt so the job's own retry takes over.</summary>
    public TimeSpan MaxRetryWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>First backoff after a 5xx or network error; doubles each retry.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>GITHUB_TIMEOUT_SECONDS: one HTTP request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public bool Configured => Token is not null || AppId is not null;

    /// <summary>
    /// GITHUB_SERVICE_LOGIN: the GitHub login(s) the service acts as, comma-separated (the user behind
    /// GITHUB_TOKEN). Their events never start agent work, so the service's own comments and pushes cannot
    /// trigger it again. A GitHub App acts as "slug[bot]" and is refused as a bot without this setting.
    /// </summary>
    public IReadOnlyList<string> ServiceLogins { get; init; } = [];

    /// <summary>
    /// The git host that goes with <see cref="ApiUrl"/>, where repositories are fetched from and pushed
    /// to as {GitUrl}{owner}/{name}.git: https://github.com/ for https://api.github.com/, https://HOST/
    /// for Enterprise's https://HOST/api/v3/ (and for https://api.HOST/). Never taken from a payload.
    /// </summary>
    public Uri GitUrl => GitUrlFor(ApiUrl);

    public static Uri GitUrlFor(Uri apiUrl)
    {
        var builder = new UriBuilder(apiUrl) { Query = "", Fragment = "", UserName = "", Password = "" };
        var path = builder.Path.TrimEnd('/') + "/";
        if (path == "/" && builder.Host.StartsWith("api.", StringComparison.OrdinalIgnoreCase)) builder.Host = builder.Host[4..];
        else if (path.EndsWith("/api/v3/", StringComparison.OrdinalIgnoreCase)) path = path[..^"api/v3/".Length];
        builder.Path = path;
        return builder.Uri;
    }

    /// <summary>Names the credential in use for messages; never its value.</summary>
    public string Describe() =>
        AppId is { } id ? $"GitHub App {id}" + (Token is null ? "" : " (GITHUB_TOKEN for events without an installation)")
        : Token is not null ? "GITHUB_TOKEN" : "none";

    public static GitHubSettings Load(EnvReader env)
    {
        var apiUrl = env.Url("GITHUB_API_URL", PublicApi)!;
        var token = env.Get("GITHUB_TOKEN");
        var appId = env.WholeNumber("GITHUB_APP_ID", 1, long.MaxValue);
        var key = env.Get("GITHUB_APP_PRIVATE_KEY")?.Replace("\\n", "\n", StringComparison.Ordinal);
        if (appId is not null && key is null)
            env.Error("GITHUB_APP_ID is set but the App's private key is not: set GITHUB_APP_PRIVATE_KEY (the PEM text) or GITHUB_APP_PRIVATE_KEY_FILE (its path).");
        if (appId is null && key is not null)
            env.Error("GITHUB_APP_PRIVATE_KEY is set but GITHUB_APP_ID is not: set the App's numeric ID (App settings → About → App ID).");
        if (key is not null && !IsRsaPem(key))
            env.Error("GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key (expected the .pem GitHub generated, starting with -----BEGIN RSA PRIVATE KEY-----).");
        return new GitHubSettings
        {
            ApiUrl = WithTrailingSlash(apiUrl),
            Token = token,
            AppId = appId,
            AppPrivateKeyPem = key,
            AppInstallationId = env.WholeNumber("GITHUB_APP_INSTALLATION_ID", 1, long.MaxValue),
            MaxRetries = env.Count("GITHUB_MAX_RETRIES", 3, 0, 10),
            MaxRetryWait = env.Seconds("GITHUB_MAX_RETRY_WAIT_SECONDS", 60, 0, 3600),
            RequestTimeout = env.Seconds("GITHUB_TIMEOUT_SECONDS", 30, 1, 600),
            ServiceLogins = [.. (env.Get("GITHUB_SERVICE_LOGIN") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
        };
    }

    /// <summary>Octokit resolves relative paths ("repos/…") against the base, so it must end in '/'.</summary>
    public static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    private static bool IsRsaPem(string pem)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return true;
        }
        catch (ArgumentException) { return false; }
        catch (CryptographicException) { return false; }
    }
}
