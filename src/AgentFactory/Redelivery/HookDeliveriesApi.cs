using System.Globalization;
using System.Web;
using AgentFactory.GitHub;
using AgentFactory.Hosting;
using Octokit;

namespace AgentFactory.Redelivery;

/// <summary>
/// GitHub's hook deliveries endpoints, which Octokit has no typed client for, called through its
/// connection (same GITHUB_API_URL, credentials and retry handler as the agents). The App's hook
/// is read with a fresh App JWT per request; repository and organisation hooks with GITHUB_TOKEN,
/// else the App installation GITHUB_APP_INSTALLATION_ID.
/// </summary>
public sealed class HookDeliveriesApi(GitHubClients clients)
{
    private const string Accept = "application/vnd.github+json";

    /// <summary>What authenticates requests for <paramref name="target"/> and its name for messages; a <see cref="SettingsException"/> naming the settings when nothing can.</summary>
    public async Task<(Func<IConnection> Connect, string Credential)> ConnectAsync(HookTarget target, CancellationToken ct)
    {
        if (target.Kind == HookKind.App)
        {
            return clients.HasApp
                ? (clients.AppConnection, $"the JWT of GitHub App {clients.Settings.AppId}")
                : throw new SettingsException($"Cannot read the deliveries of {target}: the App's hook needs the App's own credentials: set GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY (a token cannot read /app/hook).");
        }
        if (await clients.ServiceConnectionAsync(ct) is { } service) return (() => service.Connection, service.Credential);
        throw new SettingsException($"Cannot read the deliveries of {target}: " + (clients.HasApp
            ? "set GITHUB_TOKEN, or GITHUB_APP_INSTALLATION_ID for the App installation that may read this hook."
            : "set GITHUB_TOKEN or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY (with GITHUB_APP_INSTALLATION_ID)."));
    }

    /// <summary>
    /// Pages through the deliveries (newest first, 100 a page, following the Link header's cursor)
    /// until one is older than <paramref name="since"/>; returns those at or after it.
    /// </summary>
    public async Task<IReadOnlyList<HookDelivery>> ListSinceAsync(Func<IConnection> connect, HookTarget target, DateTimeOffset since,
        Action<int, int>? onPage, CancellationToken ct)
    {
        var uri = new Uri(target.DeliveriesPath, UriKind.Relative);
        var all = new List<HookDelivery>();
        string? cursor = null;
        for (var page = 1; ; page++)
        {
            var parameters = new Dictionary<string, string> { ["per_page"] = "100" };
            if (cursor is not null) parameters["cursor"] = cursor;
            var response = await GitHubCall.RunAsync($"listing the deliveries of {target}",
                () => connect().Get<List<HookDelivery>>(uri, parameters, Accept, ct), ct);
            var items = response.Body ?? [];
            all.AddRange(items.Where(d => d.DeliveredAt >= since));
            onPage?.Invoke(page, all.Count);
            cursor = NextCursor(response.HttpResponse.ApiInfo);
            if (cursor is null || items.Count == 0 || items.Min(d => d.DeliveredAt) < since) return all;
        }
    }

    /// <summary>POST …/deliveries/{id}/attempts: GitHub answers 202 and sends the delivery again with the same guid.</summary>
    public async Task RedeliverAsync(Func<IConnection> connect, HookTarget target, long deliveryId, CancellationToken ct)
    {
        var uri = new Uri($"{target.DeliveriesPath}/{deliveryId.ToString(CultureInfo.InvariantCulture)}/attempts", UriKind.Relative);
        await GitHubCall.RunAsync($"asking GitHub to redeliver delivery {deliveryId} of {target}",
            async () => await connect().Post(uri, ct), ct);
    }

    private static string? NextCursor(ApiInfo? info)
    {
        if (info?.Links is null || !info.Links.TryGetValue("next", out var next)) return null;
        var cursor = HttpUtility.ParseQueryString(next.Query)["cursor"];
        return string.IsNullOrEmpty(cursor) ? null : cursor;
    }
}
