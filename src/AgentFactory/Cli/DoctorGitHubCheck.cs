using System.Net;
using System.Text.Json;
using AgentFactory.Agents;
using AgentFactory.GitHub;
using AgentFactory.Hosting;
using AgentFactory.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using Octokit;

namespace AgentFactory.Cli;

/// <summary>
/// doctor's GitHub check: does GitHub accept the configured credentials? GITHUB_TOKEN is tried with
/// GET /rate_limit, App credentials with GET /app (the App JWT), against GITHUB_API_URL, each with a
/// bounded timeout and no retries. Rejected credentials are a problem; an unreachable GitHub a warning.
/// </summary>
internal static class DoctorGitHubCheck
{
    private static readonly string[] GitHubKinds = ["code_review", "task", "coder"];

    public static async Task RunAsync(Action<DoctorCommand.Level, string, string?> report, CancellationToken ct)
    {
        var reader = new EnvReader(CliApp.Env.Reader);
        var loaded = GitHubSettings.Load(reader);
        if (reader.Errors.Count > 0) return; // the routing check already named them
        if (!loaded.Configured)
        {
            var users = GitHubAgents();
            if (users.Count > 0)
                report(DoctorCommand.Level.Warn, $"GitHub: agents {string.Join(", ", users)} need GitHub access but no credentials are set",
                    "set GITHUB_TOKEN, or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY (see docs/configuration.md)");
            return;
        }
        var settings = new GitHubSettings
        {
            ApiUrl = loaded.ApiUrl, Token = loaded.Token, AppId = loaded.AppId, AppPrivateKeyPem = loaded.AppPrivateKeyPem,
            MaxRetries = 0, RequestTimeout = TimeSpan.FromSeconds(10),
        };
        using var clients = new GitHubClients(settings, TimeProvider.System, NullLogger<GitHubClients>.Instance);
        if (settings.Token is not null)
        {
            await CheckAsync(report, $"GITHUB_TOKEN at {settings.ApiUrl}", "GitHub rejected GITHUB_TOKEN",
                "create a new token and set GITHUB_TOKEN (for GitHub Enterprise also check GITHUB_API_URL)",
                async () =>
                {
                    var (connection, _) = (await clients.ServiceConnectionAsync(ct))!.Value;
                    var limits = await new GitHubClient(connection).RateLimit.GetRateLimits();
                    return $"rate limit {limits.Resources.Core.Remaining}/{limits.Resources.Core.Limit} left";
                }, ct);
        }
        if (settings.AppId is not null)
        {
            await CheckAsync(report, $"GitHub App {settings.AppId} at {settings.ApiUrl}", $"GitHub rejected the JWT of GitHub App {settings.AppId}",
                "check GITHUB_APP_ID and that GITHUB_APP_PRIVATE_KEY is the App's current private key, and the server clock",
                async () =>
                {
                    var app = await new GitHubClient(clients.AppConnection()).GitHubApps.GetCurrent();
                    return $"authenticated as '{app.Name}'";
                }, ct);
        }
    }

    private static async Task CheckAsync(Action<DoctorCommand.Level, string, string?> report, string what, string rejected, string fix,
        Func<Task<string>> call, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            var detail = await GitHubCall.RunAsync("checking the credentials", call, timeout.Token);
            report(DoctorCommand.Level.Ok, $"GitHub accepts {what} ({detail})", null);
        }
        catch (PermanentAgentException e) when (e.InnerException is ApiException { StatusCode: HttpStatusCode.Unauthorized } api)
        {
            report(DoctorCommand.Level.Fail, $"{rejected} ({api.Message})", fix);
        }
        catch (Exception e) when (e is PermanentAgentException or GitHubUnavailableException or OperationCanceledException)
        {
            report(DoctorCommand.Level.Warn, $"GitHub: could not check {what}: {e.Message}", "check network access to GitHub and GITHUB_API_URL");
        }
    }

    /// <summary>Agents of a GitHub kind that some job type uses.</summary>
    private static List<string> GitHubAgents()
    {
        try
        {
            var options = CliApp.LoadSettings(createSecrets: false);
            var (routing, _) = RoutingLoader.Load(options.RoutingFile);
            var used = routing.Jobs.Values.Select(j => j.Agent).ToHashSet(StringComparer.Ordinal);
            return [.. routing.Agents.Where(a => used.Contains(a.Key) && a.Value.ValueKind == JsonValueKind.Object
                    && a.Value.TryGetProperty("kind", out var k) && GitHubKinds.Contains(k.GetString()))
                .Select(a => a.Key)];
        }
        catch (Exception e) when (e is Hosting.SettingsException or AgentConfigurationException)
        {
            return [];
        }
    }
}
