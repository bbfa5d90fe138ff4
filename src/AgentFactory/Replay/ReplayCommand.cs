using System.CommandLine;
using AgentFactory.Agents;
using AgentFactory.Cli;
using AgentFactory.GitHub;
using AgentFactory.Hosting;
using AgentFactory.Models;
using AgentFactory.Observability;
using AgentFactory.Queue;
using AgentFactory.Routing;

namespace AgentFactory.Replay;

/// <summary>
/// `agentfactory replay`: runs the stored deliveries of one event since a moment through one agent (optionally with
/// another model of the catalog) with every GitHub write captured, not sent, and writes the report as JSON and
/// Markdown. `agentfactory replay compare A.json B.json` puts two reports side by side. Progress on stderr, the
/// Markdown on stdout. Exit 0 report written, 1 database unavailable, 2 bad flags or settings (docs/replay.md).
/// </summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var since = new Option<string>("--since") { Description = "How far back: a duration (30m, 24h, 7d) or a timestamp.", DefaultValueFactory = _ => "7d" };
        var @event = new Option<string?>("--event") { Description = $"The GitHub event whose stored deliveries to replay: {string.Join(", ", ReplayArguments.Events)}." };
        var agent = new Option<string?>("--agent") { Description = "The agent from the routing file's \"agents\" (its name, or its kind when one agent has it), e.g. code-review." };
        var model = new Option<string?>("--model") { Description = "A model of the catalog to use instead of the agent's (\"default\"), e.g. one under \"models\" in the routing file." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Required: capture every GitHub write into the report instead of sending it." };
        var limit = CliNumbers.WholeNumber("--limit", "At most this many deliveries, the newest (1 to 1000).", 100, 1, 1000);
        var report = new Option<string?>("--report") { Description = "Where to write the JSON report (the Markdown goes next to it as .md). Default: replay-<time>.json here." };
        var command = new Command("replay", "Run stored deliveries through an agent with GitHub writes captured, and report what it would have posted, its tokens, cost and time.")
        {
            since, @event, agent, model, dryRun, limit, report,
        };
        command.Subcommands.Add(Compare());
        command.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            if (ReplayArguments.CheckFlags(parse.GetValue(dryRun), parse.GetValue(since)!, parse.GetValue(@event), DateTimeOffset.UtcNow, out var from) is { } flagProblem)
                return await Usage(flagProblem);
            var options = CliApp.LoadSettings(createSecrets: false);
            var (routing, _) = RoutingLoader.Load(options.RoutingFile);
            if (ReplayArguments.ResolveAgent(routing, parse.GetValue(agent), out var name, out var kind, out var settings) is { } agentProblem)
                return await Usage(agentProblem);
            var integrations = IntegrationSettings.Load(CliApp.Env.Reader);
            var catalog = ModelCatalog.Build(routing.Models, integrations.Llm, key => new EnvReader(CliApp.Env.Reader).Get(key));
            if (ReplayArguments.CheckModel(catalog, parse.GetValue(model)) is { } modelProblem) return await Usage(modelProblem);
            if (!integrations.GitHub.Configured)
                return await Usage("replay reads each pull request, diff and file from GitHub: set GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY (see docs/workflows.md).");
            if (options.DatabaseUrl is null && !File.Exists(options.SqlitePath))
                return await Failure($"No queue database at {options.SqlitePath}. Run this from the service's working directory, or set AGENTFACTORY_DATA_DIR or DATABASE_URL.");

            var plan = new ReplayPlan(from, parse.GetValue(@event)!, name, kind, settings, parse.GetValue(model), parse.GetValue(limit));
            var path = Path.GetFullPath(parse.GetValue(report) ?? $"replay-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.json");
            var result = await RunAsync(plan, options, routing, integrations, catalog, ct);
            await File.WriteAllTextAsync(path, result.ToJson(), ct);
            var markdown = ReplayMarkdown.Write(result);
            await File.WriteAllTextAsync(Path.ChangeExtension(path, ".md"), markdown, ct);
            Console.Write(markdown);
            await Console.Error.WriteLineAsync($"Report written to {path} and {Path.ChangeExtension(path, ".md")}; nothing was sent to GitHub and the queue is unchanged.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<ReplayReport> RunAsync(ReplayPlan plan, Options.AgentFactoryOptions options, RoutingConfig routing, IntegrationSettings integrations,
        ModelCatalog catalog, CancellationToken ct)
    {
        // The queue, read from a provider of its own. The agents' provider below has no store at all, so nothing an agent
        // does can reach the queue: no steps, no budget spend (the model layer falls back to its in-memory ledger), no jobs.
        var storeServices = new ServiceCollection().AddSingleton(TimeProvider.System).AddSingleton<QueueSignal>().AddStore(options);
        await using var storeProvider = storeServices.BuildServiceProvider();
        var store = storeProvider.GetRequiredService<IJobStore>();
        await store.MigrateAsync(ct);

        var (writes, usage) = (new CapturedWrites(), new ReplayUsage());
        var services = new ServiceCollection().AddLogging(l => l.AddFilter(_ => false)).AddSingleton(TimeProvider.System).AddSingleton(options).AddSingleton(routing);
        // Without the service's logins every pull request is reviewed whole, as on first sight: the live service's
        // earlier reviews would otherwise mark the head as reviewed and leave nothing to compare.
        services.AddIntegrations(integrations with { GitHub = WithoutServiceLogins(integrations.GitHub) }, CliApp.Env).AddAgentKinds();
        services.AddSingleton(writes).AddSingleton<IModelCallObserver>(usage);
        var used = plan.Model is { } chosen ? catalog.WithDefault(chosen) : catalog;
        services.AddSingleton(used); // after AddModels: the last registration is the one resolved
        await using var provider = services.BuildServiceProvider();
        var kind = (IAgentKind)ActivatorUtilities.CreateInstance(provider, ReplayArguments.KindTypes[plan.AgentKind]);
        var agent = kind.Create(plan.Agent, plan.AgentSettings);
        used.TryGet(ModelCatalog.DefaultName, out var spec);

        var runner = new ReplayRunner(store, routing, writes, usage, Redactor(options, integrations, catalog), TimeProvider.System);
        var deliveries = await runner.FindAsync(plan.Event, plan.Since, plan.Limit, ct);
        await Console.Error.WriteLineAsync($"{deliveries.Count} stored {plan.Event} deliveries since {plan.Since:u} made a job; replaying them through agent '{plan.Agent}'.");
        var jobs = new List<ReplayJob>();
        foreach (var (delivery, job) in deliveries)
            jobs.Add(await runner.RunAsync(agent, delivery, job, spec, line => Console.Error.WriteLine(line), ct));
        return new ReplayReport
        {
            CreatedAt = DateTimeOffset.UtcNow, Since = plan.Since, Event = plan.Event, Agent = plan.Agent, AgentKind = plan.AgentKind,
            Model = spec is null ? null : plan.Model ?? ModelCatalog.DefaultName, ModelId = spec?.ModelId,
            InputUsdPerMillion = spec?.Prices?.InputUsdPerMillion, OutputUsdPerMillion = spec?.Prices?.OutputUsdPerMillion,
            Jobs = jobs, Totals = ReplayTotals.Of(jobs),
        };
    }

    private static Command Compare()
    {
        var first = new Argument<string>("a") { Description = "The first report (JSON written by agentfactory replay)." };
        var second = new Argument<string>("b") { Description = "The second report." };
        var output = new Option<string?>("--out") { Description = "Also write the comparison (Markdown) to this file." };
        var command = new Command("compare", "Print two replay reports side by side per delivery: what each would have posted, tokens, cost, time.") { first, second, output };
        command.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            ReplayReport a, b;
            try
            {
                (a, b) = (ReadReport(parse.GetValue(first)!), ReadReport(parse.GetValue(second)!));
            }
            catch (ReplayReportException e)
            {
                return await Usage(e.Message);
            }
            if (a.Event != b.Event) await Console.Error.WriteLineAsync($"Note: the reports replayed different events ({a.Event} and {b.Event}).");
            var text = ReplayCompare.Write(a, b);
            if (parse.GetValue(output) is { } path) await File.WriteAllTextAsync(path, text, ct);
            Console.Write(text);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static ReplayReport ReadReport(string path) =>
        File.Exists(path) ? ReplayReport.Read(path) : throw new ReplayReportException($"{path} does not exist: give the JSON files 'agentfactory replay --report' wrote.");

    /// <summary>The service's secrets and every model's key, redacted from the report as from the logs.</summary>
    private static SecretRedactor Redactor(Options.AgentFactoryOptions options, IntegrationSettings integrations, ModelCatalog catalog) => new(
    [
        .. SecretRedactor.Integrations(integrations),
        .. options.WebhookSecrets.Select(s => ("GITHUB_WEBHOOK_SECRET", (string?)s)),
        ("MANUAL_TRIGGER_TOKEN", options.ManualTriggerToken),
        ("DATABASE_URL", options.DatabaseUrl),
        .. catalog.Models.Select(m => (m.ApiKeyVariable ?? $"models.{m.Name} key", catalog.KeyFor(m.Name))),
    ]);

    private static GitHubSettings WithoutServiceLogins(GitHubSettings s) => new()
    {
        ApiUrl = s.ApiUrl, Token = s.Token, AppId = s.AppId, AppPrivateKeyPem = s.AppPrivateKeyPem, AppInstallationId = s.AppInstallationId,
        MaxRetries = s.MaxRetries, MaxRetryWait = s.MaxRetryWait, RetryBaseDelay = s.RetryBaseDelay, RequestTimeout = s.RequestTimeout, ServiceLogins = [],
    };

    private static async Task<int> Usage(string message)
    {
        await Console.Error.WriteLineAsync(message);
        return ExitCodes.Usage;
    }

    private static async Task<int> Failure(string message)
    {
        await Console.Error.WriteLineAsync(message);
        return ExitCodes.Failure;
    }
}
