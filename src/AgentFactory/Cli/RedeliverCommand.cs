using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AgentFactory.Agents;
using AgentFactory.GitHub;
using AgentFactory.Hosting;
using AgentFactory.Queue;
using AgentFactory.Redelivery;

namespace AgentFactory.Cli;

/// <summary>
/// `agentfactory redeliver`: lists a hook's recent deliveries on GitHub, finds those that never
/// succeeded or never reached the queue database, and asks GitHub to send each again once.
/// Progress on stderr, the summary on stdout. Exit 0 done, 1 a GitHub or database failure,
/// 2 bad options or credentials.
/// </summary>
public static class RedeliverCommand
{
    private static JsonSerializerOptions Pretty => CliJson.Pretty;

    public static Command Create()
    {
        var repo = new Option<string?>("--repo") { Description = "A repository hook: owner/name (with --hook-id)." };
        var org = new Option<string?>("--org") { Description = "An organisation hook: the organisation (with --hook-id)." };
        var hookId = CliNumbers.OptionalLong("--hook-id", "The hook's id (Settings → Webhooks → the hook's URL ends in it).", "it is the number the hook's URL ends in (Settings → Webhooks)");
        var app = new Option<bool>("--app") { Description = "The GitHub App's own hook (uses the App JWT)." };
        var since = new Option<string>("--since") { Description = "How far back: a duration (30m, 24h, 2d) or a timestamp. GitHub keeps 3 days.", DefaultValueFactory = _ => "24h" };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be redelivered; change nothing." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var command = new Command("redeliver", "Ask GitHub to redeliver webhook deliveries that failed or never reached the queue.") { repo, org, hookId, app, since, dryRun, json };
        command.SetAction((parse, ct) => QueueCommands.WithStore(async (store, _) =>
        {
            var (target, error) = TargetOf(parse.GetValue(repo), parse.GetValue(org), parse.GetValue(hookId), parse.GetValue(app));
            var from = ParseSince(parse.GetValue(since)!, DateTimeOffset.UtcNow);
            if (target is null || from is null)
            {
                await Console.Error.WriteLineAsync(error ?? $"--since must be a duration like 30m, 24h or 2d, or a timestamp like 2026-01-02T03:00:00Z (got '{parse.GetValue(since)}').");
                return ExitCodes.Usage;
            }
            var services = new ServiceCollection().AddLogging(l => l.AddFilter(_ => false)).AddSingleton(TimeProvider.System).AddSingleton<IDeliveryStore>(store);
            services.AddIntegrations(IntegrationSettings.Load(CliApp.Env.Reader), CliApp.Env);
            await using var provider = services.BuildServiceProvider();
            try
            {
                var report = await provider.GetRequiredService<Redeliverer>().RunAsync(target, from.Value, parse.GetValue(dryRun),
                    line => Console.Error.WriteLine(line), ct);
                Print(report, parse.GetValue(json));
                return report.Failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
            }
            catch (GitHubCredentialsRejectedException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return ExitCodes.Usage;
            }
            catch (Exception e) when (e is PermanentAgentException or GitHubUnavailableException)
            {
                await Console.Error.WriteLineAsync(e.Message + " Check the hook id and that the credentials may administer this hook.");
                return ExitCodes.Failure;
            }
        }));
        return command;
    }

    internal static (HookTarget? Target, string? Error) TargetOf(string? repo, string? org, long? hookId, bool app)
    {
        var chosen = (repo is null ? 0 : 1) + (org is null ? 0 : 1) + (app ? 1 : 0);
        if (chosen != 1) return (null, "Name one hook: --repo owner/name --hook-id N, --org name --hook-id N, or --app.");
        if (app) return hookId is null ? (HookTarget.App, null) : (null, "--hook-id does not apply to --app (a GitHub App has one hook).");
        if (hookId is not > 0) return (null, "--hook-id is required with --repo and --org (a positive number).");
        if (repo is not null) return HookTarget.IsRepoName(repo) ? (HookTarget.Repository(repo, hookId.Value), null) : (null, $"--repo must be owner/name (got '{repo}').");
        return HookTarget.IsOrgName(org!) ? (HookTarget.Organization(org!, hookId.Value), null) : (null, $"--org must be an organisation login (got '{org}').");
    }

    /// <summary>"90m", "24h", "2d", "3600s" back from <paramref name="now"/>, or an ISO timestamp.</summary>
    internal static DateTimeOffset? ParseSince(string text, DateTimeOffset now)
    {
        text = text.Trim();
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            TimeSpan? span = text[^1] switch { 's' => TimeSpan.FromSeconds(n), 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => null };
            if (span is { } s) return now - s;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }

    private static void Print(RedeliveryReport report, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                target = report.Target.ToString(), since = report.Since, scanned = report.Scanned, dry_run = report.DryRun,
                redelivered = report.Redelivered, failures = report.Failures,
                missed = report.Missed.Select(m => new
                {
                    m.Latest.Guid, delivery_id = m.Latest.Id, @event = m.Latest.Event, m.Latest.Action, delivered_at = m.Latest.DeliveredAt,
                    status_code = m.Latest.StatusCode, m.Latest.Status, m.Attempts, m.Reason,
                }),
            }, Pretty));
            return;
        }
        Console.WriteLine($"{report.Target}: {report.Scanned} deliveries since {report.Since:u}, {report.Missed.Count} missed.");
        foreach (var m in report.Missed)
            Console.WriteLine($"  {m.Latest.DeliveredAt:yyyy-MM-dd HH:mm:ss}  {m.Latest.Guid}  {m.Latest.Event}{(m.Latest.Action is { } a ? "." + a : "")}  {m.Reason}");
        Console.WriteLine(report.DryRun
            ? $"Dry run: {report.Missed.Count} would be redelivered; nothing was changed."
            : $"Redelivered {report.Redelivered} of {report.Missed.Count}{(report.Failures.Count > 0 ? $"; {report.Failures.Count} failed:" : ".")}");
        foreach (var f in report.Failures) Console.WriteLine($"  {f}");
    }
}
