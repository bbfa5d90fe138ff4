using System.Net;
using AgentFactory.Agents;
using AgentFactory.GitHub;
using AgentFactory.Queue;
using Octokit;

namespace AgentFactory.Redelivery;

/// <summary>What one pass over one hook found and did.</summary>
public sealed record RedeliveryReport(HookTarget Target, DateTimeOffset Since, int Scanned, IReadOnlyList<MissedDelivery> Missed,
    int Redelivered, IReadOnlyList<string> Failures, bool DryRun);

/// <summary>GitHub refused the credentials (401): a setting to fix, not a run-time failure.</summary>
public sealed class GitHubCredentialsRejectedException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// One pass: list the hook's deliveries since a time, keep those <see cref="MissedDeliveries"/>
/// calls missed (checking webhook_events), and ask GitHub to redeliver each once. A failed
/// redelivery is reported and the rest go on; a failed listing or rejected credentials end the pass.
/// </summary>
public sealed class Redeliverer(HookDeliveriesApi api, IDeliveryStore store)
{
    public async Task<RedeliveryReport> RunAsync(HookTarget target, DateTimeOffset since, bool dryRun, Action<string>? progress, CancellationToken ct)
    {
        var credential = "the credentials";
        try
        {
            (var connect, credential) = await api.ConnectAsync(target, ct);
            var deliveries = await api.ListSinceAsync(connect, target, since,
                (page, count) => progress?.Invoke($"{target}: page {page} read, {count} deliveries since {since:u}"), ct);
            var guids = deliveries.Select(d => d.Guid).Where(g => g.Length > 0).Distinct(StringComparer.Ordinal).ToList();
            var stored = await store.FindStoredDeliveriesAsync(target.StoredHookId, guids, ct);
            var missed = MissedDeliveries.Select(deliveries, stored);
            var failures = new List<string>();
            var done = 0;
            if (!dryRun)
            {
                foreach (var m in missed)
                {
                    try
                    {
                        await api.RedeliverAsync(connect, target, m.Latest.Id, ct);
                        done++;
                    }
                    catch (Exception e) when (e is PermanentAgentException or GitHubUnavailableException && !IsUnauthorized(e))
                    {
                        failures.Add($"{m.Latest.Guid}: {e.Message}");
                    }
                    progress?.Invoke($"{target}: {done + failures.Count} of {missed.Count} asked ({failures.Count} failed)");
                }
            }
            return new RedeliveryReport(target, since, deliveries.Count, missed, done, failures, dryRun);
        }
        catch (PermanentAgentException e) when (IsUnauthorized(e))
        {
            throw new GitHubCredentialsRejectedException(
                $"GitHub rejected {credential} (401 {e.InnerException?.Message}) for {target}. " + FixFor(target), e);
        }
    }

    private static bool IsUnauthorized(Exception e) => e.InnerException is ApiException { StatusCode: HttpStatusCode.Unauthorized };

    private static string FixFor(HookTarget target) => target.Kind == HookKind.App
        ? "Check GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (the App's current private key) and the server clock."
        : "Set GITHUB_TOKEN to a valid token with admin:repo_hook (repository) or admin:org_hook (organisation) access, or use the GitHub App credentials.";
}
