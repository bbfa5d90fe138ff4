using System.CommandLine;
using System.CommandLine.Invocation;
using AgentFactory.Hosting;

namespace AgentFactory.Cli;

/// <summary>The `agentfactory` command line: one executable, one subcommand per task.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Agent Factory: GitHub webhooks → durable queue → orchestrator → agents.");
        foreach (var command in ServiceCommands.Create()) root.Subcommands.Add(command);
        foreach (var command in QueueCommands.Create()) root.Subcommands.Add(command);
        root.Subcommands.Add(StatsCommand.Create());
        root.Subcommands.Add(SecretCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(RedeliverCommand.Create());
        root.Subcommands.Add(Replay.ReplayCommand.Create());

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // The parser's own error report, with its "did you mean" for a misspelt command or option, on
            // stderr and without the whole help text; the exit code stays the usage error's.
            if (parsed.Action is ParseErrorAction report)
            {
                report.ShowHelp = false;
                report.ShowTypoCorrections = true;
                await parsed.InvokeAsync(new InvocationConfiguration { Output = Console.Error, Error = Console.Error });
            }
            else foreach (var error in parsed.Errors) await Console.Error.WriteLineAsync(error.Message);
            await Console.Error.WriteLineAsync("Run 'agentfactory --help' (or 'agentfactory <command> --help') for usage.");
            return ExitCodes.Usage;
        }
        // The host handles SIGTERM/SIGINT itself (graceful drain); do not let the parser force an exit.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    /// <summary>Runs a command body, turning configuration errors into exit code 2 with the message.</summary>
    public static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (SettingsException e)
        {
            await Console.Error.WriteLineAsync("Configuration error:" + Environment.NewLine + e.Message);
            return ExitCodes.Usage;
        }
        catch (AgentFactory.Agents.AgentConfigurationException e)
        {
            await Console.Error.WriteLineAsync("Routing file error: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (AgentFactory.Queue.StoreUnavailableException e)
        {
            await Console.Error.WriteLineAsync("Database unavailable: " + e.Message);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"File system error: {e.Message.TrimEnd('.')}. Check AGENTFACTORY_DATA_DIR and the service user's permissions.");
            return ExitCodes.Failure;
        }
        catch (InvalidOperationException e) when (e.InnerException is AgentFactory.Queue.StoreUnavailableException inner)
        {
            await Console.Error.WriteLineAsync("Database unavailable: " + inner.Message);
            return ExitCodes.Failure;
        }
    }

    private static HostEnvironment? _environment;

    /// <summary>.env from the working directory, then the process environment: read once per command.</summary>
    public static HostEnvironment Env => _environment ??= ServiceSettings.ReadEnvironment();

    /// <summary>The service's own options (generating secrets only where asked).</summary>
    public static Options.AgentFactoryOptions LoadSettings(bool createSecrets) => SettingsLoader.Load(Env.Reader, createSecrets);
}
