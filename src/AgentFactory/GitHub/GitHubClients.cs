using System.Collections.Concurrent;
using System.Security.Cryptography;
using AgentFactory.Agents;
using Octokit;
using Octokit.Internal;

namespace AgentFactory.GitHub;

/// <summary>
/// Hands agents an Octokit client for their event's repository, authenticated with GITHUB_TOKEN or
/// as the GitHub App's installation. Installation tokens (valid one hour) are cached until five
/// minutes before they expire. One HTTP connection pool, with the retry handler, serves every client.
/// </summary>
public sealed partial class GitHubClients : IDisposable
{
    private static readonly ProductHeaderValue Product = new("AgentFactory", "1.0");
    private static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(5);

    private readonly GitHubSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<GitHubClients> _log;
    private readonly IHttpClient _http;
    private readonly RSA? _appKey;
    private readonly ConcurrentDictionary<long, AccessToken> _installationTokens = new();
    private readonly SemaphoreSlim _tokenGate = new(1, 1);

    /// <param name="writes">
    /// Set by `agentfactory replay` only: every write (POST/PATCH/PUT/DELETE, GraphQL mutations) is recorded there and
    /// answered as accepted instead of being sent. It is the outermost handler, so no client made here can bypass it.
    /// </param>
    public GitHubClients(GitHubSettings settings, TimeProvider time, ILogger<GitHubClients> log, Replay.CapturedWrites? writes = null)
    {
        _settings = settings;
        _time = time;
        _log = log;
        _http = new HttpClientAdapter(() =>
        {
            var sender = new GitHubRetryHandler(settings, time, log)
            {
                InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) },
            };
            return writes is null ? sender : new Replay.WriteCapturingHandler(writes, settings.ApiUrl) { InnerHandler = sender };
        });
        _http.SetRequestTimeout(settings.RequestTimeout); // shared by every connection: set once, before the first request
        if (settings.AppPrivateKeyPem is { } pem)
        {
            _appKey = RSA.Create();
            _appKey.ImportFromPem(pem);
        }
    }

    public GitHubSettings Settings => _settings;

    /// <summary>A client for the repository in the job's payload (repository.full_name).</summary>
    public async Task<GitHubRepo> ForJobAsync(AgentJob job, string agentName, CancellationToken ct)
    {
        if (!_settings.Configured)
            throw new PermanentAgentException($"Agent '{agentName}' needs GitHub access: set GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY (see docs/workflows.md).");
        var repository = RepositoryName.FromJob(job, agentName);
        var (token, asApp) = await CredentialForAsync(job, ct);
        return new GitHubRepo(repository, Client(new Credentials(token)), token, asApp);
    }

    /// <summary>
    /// The token git uses for the job's repository on the GitHub host (GITHUB_TOKEN or the App's
    /// installation token); null when no GitHub credential is configured (public repositories only).
    /// </summary>
    public async Task<string?> GitTokenForAsync(AgentJob job, CancellationToken ct) =>
        _settings.Configured ? (await CredentialForAsync(job, ct)).Token : null;

    /// <summary>The token for the job, and whether it is the GitHub App's installation token (checks:write) rather than GITHUB_TOKEN.</summary>
    private async Task<(string Token, bool AsApp)> CredentialForAsync(AgentJob job, CancellationToken ct)
    {
        if (_settings.AppId is null || _appKey is null) return (_settings.Token!, false);
        long? installation = long.TryParse(job.PayloadString("installation.id"), out var id) ? id : _settings.AppInstallationId;
        if (installation is not { } installationId)
        {
            return (_settings.Token ?? throw new PermanentAgentException(
                "The event names no installation (installation.id) and GITHUB_APP_INSTALLATION_ID is not set, so the GitHub App cannot act. Set GITHUB_APP_INSTALLATION_ID for manual jobs."), false);
        }
        return (await InstallationTokenAsync(installationId, ct), true);
    }

    private async Task<string> InstallationTokenAsync(long installationId, CancellationToken ct)
    {
        if (Fresh(installationId) is { } cached) return cached;
        await _tokenGate.WaitAsync(ct);
        try
        {
            if (Fresh(installationId) is { } again) return again;
            var appClient = new GitHubClient(AppConnection());
            var token = await GitHubCall.RunAsync($"creating an access token for installation {installationId} of GitHub App {_settings.AppId}",
                () => appClient.GitHubApps.CreateInstallationToken(installationId), ct);
            _installationTokens[installationId] = token;
            LogInstallationToken(_log, installationId, token.ExpiresAt);
            return token.Token;
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    /// <summary>
    /// A connection for work outside a job (redeliver, doctor): GITHUB_TOKEN when set, else the App's
    /// installation GITHUB_APP_INSTALLATION_ID. Null when neither is configured.
    /// </summary>
    public async Task<(IConnection Connection, string Credential)?> ServiceConnectionAsync(CancellationToken ct)
    {
        if (_settings.Token is { } token) return (Connection(new Credentials(token)), "GITHUB_TOKEN");
        if (_appKey is null || _settings.AppInstallationId is not { } installationId) return null;
        return (Connection(new Credentials(await InstallationTokenAsync(installationId, ct))), $"GitHub App {_settings.AppId} installation {installationId}");
    }

    /// <summary>Authenticated as the App itself with a fresh JWT (valid 9 minutes): the /app endpoints.</summary>
    public IConnection AppConnection()
    {
        if (_settings.AppId is not { } appId || _appKey is null)
            throw new InvalidOperationException("GitHub App credentials are not configured.");
        return Connection(new Credentials(GitHubAppJwt.Create(appId, _appKey, _time.GetUtcNow()), AuthenticationType.Bearer));
    }

    public bool HasApp => _appKey is not null;

    private string? Fresh(long installationId) =>
        _installationTokens.TryGetValue(installationId, out var t) && t.ExpiresAt - _time.GetUtcNow() > RefreshBefore ? t.Token : null;

    private GitHubClient Client(Credentials credentials) => new(Connection(credentials));

    private Connection Connection(Credentials credentials) =>
        new(Product, _settings.ApiUrl, new InMemoryCredentialStore(credentials), _http, new SimpleJsonSerializer());

    public void Dispose()
    {
        _http.Dispose();
        _appKey?.Dispose();
        _tokenGate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "GitHub App installation {InstallationId}: new access token, valid until {ExpiresAt:u}")]
    private static partial void LogInstallationToken(ILogger logger, long installationId, DateTimeOffset expiresAt);
}
