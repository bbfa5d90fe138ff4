using System.CommandLine;
using AgentFactory.Agents;
using AgentFactory.Hosting;
using AgentFactory.Options;
using AgentFactory.Queue;

namespace AgentFactory.Cli;

/// <summary>serve, webhook, orchestrator, migrate.</summary>
public static class ServiceCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Service("serve", "Run the webhook handler and the orchestrator in one process (the default way to run it).", Roles.Both);
        yield return Service("webhook", "Run only the webhook handler (POST /webhook/github, /webhook/manual, GET /health) and the dashboard.", Roles.Webhook);
        yield return Service("orchestrator", "Run only the orchestrator: claim jobs and run their agents until stopped.", Roles.Orchestrator);

        var migrate = new Command("migrate", "Create or upgrade the database schema, then exit.");
        migrate.SetAction((_, ct) => CliApp.Guard(async () =>
        {
            var options = CliApp.LoadSettings(createSecrets: false);
            using var host = AppBuilder.Build(new ServiceSettings { Options = options, Environment = CliApp.Env }, Roles.Webhook, "http://127.0.0.1:0");
            await host.Services.GetRequiredService<IMaintenanceStore>().MigrateAsync(ct);
            Console.WriteLine($"Schema is up to date ({Describe(options)}).");
            return ExitCodes.Ok;
        }));
        yield return migrate;
    }

    private static Command Service(string name, string description, Roles roles)
    {
        var command = new Command(name, description);
        var urls = new Option<string?>("--urls") { Description = $"Listen address(es), ';'-separated (default {AppBuilder.DefaultUrl}, or ASPNETCORE_URLS)." };
        if (roles.HasFlag(Roles.Webhook)) command.Options.Add(urls);
        command.SetAction((parse, ct) => CliApp.Guard(() => RunAsync(roles, parse.GetValue(urls))));
        return command;
    }

    private static async Task<int> RunAsync(Roles roles, string? urls)
    {
        var settings = ServiceSettings.Load(CliApp.Env, createSecrets: roles.HasFlag(Roles.Webhook), dashboard: roles.HasFlag(Roles.Webhook));
        var options = settings.Options;
        using var host = AppBuilder.Build(settings, roles, urls);
        if (roles.HasFlag(Roles.Orchestrator))
        {
            // A bad agent setting or notification channel fails now, not at the first job.
            host.Services.GetRequiredService<AgentCatalog>();
            host.Services.GetRequiredService<Orchestration.IJobNotifier>();
        }
        await host.Services.GetRequiredService<IMaintenanceStore>().MigrateAsync(CancellationToken.None);
        try
        {
            await host.StartAsync();
        }
        catch (IOException e) when (e.Message.Contains("bind", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync($"Cannot listen: {e.Message.TrimEnd('.')}. Another process may use the port: stop it, or pass --urls (or set ASPNETCORE_URLS), e.g. --urls http://localhost:8001");
            return ExitCodes.Failure;
        }
        Banner.Print(options, roles, settings.RoutingSource, host);
        await host.WaitForShutdownAsync();
        return ExitCodes.Ok;
    }

    public static string Describe(AgentFactoryOptions options) => StoreServices.Describe(options).ToString();
}
