using System.CommandLine;
using AgentFactory.Agents;
using AgentFactory.Hosting;
using AgentFactory.Options;
using AgentFactory.Queue;
using AgentFactory.Routing;
using AgentFactory.Sandbox;
using AgentFactory.Workspace;

namespace AgentFactory.Cli;

/// <summary>
/// `agentfactory doctor`: checks what usually goes wrong — settings, routing, GitHub credentials, secrets, data directory,
/// database, orchestrator heartbeat, where agents get code (mirrors, worktrees), git working copy — and says how to fix each problem.
/// Exit 0 when nothing is wrong (warnings allowed), 1 otherwise.
/// </summary>
public static class DoctorCommand
{
    internal enum Level { Ok, Warn, Fail }

    public static Command Create()
    {
        var command = new Command("doctor", "Check the configuration, database, secrets, git working copy and orchestrator, and say what to fix.");
        command.SetAction((_, ct) => RunAsync(ct));
        return command;
    }

    private static async Task<int> RunAsync(CancellationToken ct)
    {
        var failures = 0;
        void Report(Level level, string what, string? fix = null)
        {
            if (level == Level.Fail) failures++;
            Console.WriteLine($"{(level switch { Level.Ok => "ok  ", Level.Warn => "warn", _ => "FAIL" })}  {what}");
            if (fix is not null) Console.WriteLine($"      fix: {fix}");
        }

        AgentFactoryOptions options;
        try
        {
            options = CliApp.LoadSettings(createSecrets: false);
            Report(Level.Ok, "settings: environment and .env are valid");
        }
        catch (SettingsException e)
        {
            Report(Level.Fail, "settings: " + e.Message.Replace(Environment.NewLine, " | ", StringComparison.Ordinal), "correct the variables named above (see docs/configuration.md)");
            return ExitCodes.Usage;
        }

        await CheckRoutingAsync(options, Report);
        await DoctorGitHubCheck.RunAsync(Report, ct);
        CheckSecrets(options, Report);
        CheckDataDirectory(options, Report);
        await CheckDatabaseAsync(options, Report, ct);
        DoctorWorkspaceCheck.Run(options, Report);
        await CheckGitAsync(options, Report, ct);

        Console.WriteLine(failures == 0 ? "No problems found." : $"{failures} problem(s) found.");
        return failures == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static async Task CheckRoutingAsync(AgentFactoryOptions options, Action<Level, string, string?> report)
    {
        var sandbox = await SandboxAvailability.CheckAsync();
        report(sandbox.CanRun ? (sandbox.Warnings.Count > 0 ? Level.Warn : Level.Ok) : Level.Fail, sandbox.Summary,
            sandbox.CanRun ? (sandbox.Warnings.Count > 0 ? string.Join(" ", sandbox.Warnings) : null) : $"{SandboxAvailability.Install} (see docs/security.md)");
        try
        {
            var (routing, source) = RoutingLoader.Load(options.RoutingFile);
            var services = new ServiceCollection().AddLogging().AddSingleton(options).AddSingleton(TimeProvider.System).AddSingleton(routing);
            services.AddIntegrations(IntegrationSettings.Load(CliApp.Env.Reader), CliApp.Env).AddAgentKinds(); // GitHub, LLM and notification settings are checked here
            await using var provider = services.BuildServiceProvider();
            var catalog = new AgentCatalog(routing, provider.GetServices<IAgentKind>());
            foreach (var (name, agent) in routing.Agents)
                if (agent.ValueKind == System.Text.Json.JsonValueKind.Object && agent.TryGetProperty("sandbox", out var on) && on.ValueKind == System.Text.Json.JsonValueKind.False)
                    report(Level.Warn, SandboxAvailability.UnsafeDescription(name), $"remove \"sandbox\": false from agents.{name} in the routing file");
            provider.GetRequiredService<AgentFactory.Orchestration.IJobNotifier>(); // channels named in routing must be configured
            report(Level.Ok, $"routing: {routing.Routes.Count} rule(s), agents {string.Join(", ", catalog.Names)} ({source})", null);
        }
        catch (Exception e) when (e is SettingsException or AgentConfigurationException)
        {
            report(Level.Fail, "routing: " + e.Message, "fix the routing file (see docs/routing.md)");
        }
    }

    private static void CheckSecrets(AgentFactoryOptions options, Action<Level, string, string?> report)
    {
        foreach (var (name, file) in new[] { ("GITHUB_WEBHOOK_SECRET", "webhook-secret"), ("MANUAL_TRIGGER_TOKEN", "manual-token") })
        {
            var path = Path.Combine(options.DataDirectory, file);
            var fromEnv = name == "GITHUB_WEBHOOK_SECRET" ? options.WebhookSecrets.Count > 0 : options.ManualTriggerToken.Length > 0;
            if (fromEnv)
            {
                var value = name == "GITHUB_WEBHOOK_SECRET" ? options.WebhookSecrets[0] : options.ManualTriggerToken;
                if (value.Length < 32 || value.Distinct().Count() < 10)
                    report(Level.Warn, $"{name} is set but weak ({value.Length} characters, {value.Distinct().Count()} distinct)", "use `agentfactory secret` to generate a strong one");
                else report(Level.Ok, $"{name} is set", null);
            }
            else if (File.Exists(path))
            {
                var mode = OperatingSystem.IsWindows() ? UnixFileMode.UserRead : File.GetUnixFileMode(path);
                if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                    report(Level.Fail, $"{path} is readable by other users", $"chmod 600 {path}");
                else report(Level.Ok, $"{name} comes from {path}", null);
            }
            else report(Level.Warn, $"{name} is not set; the first `serve` generates {path}", null);
        }
    }

    private static void CheckDataDirectory(AgentFactoryOptions options, Action<Level, string, string?> report)
    {
        var dir = options.DataDirectory;
        if (!Directory.Exists(dir))
        {
            report(options.DatabaseUrl is null ? Level.Warn : Level.Ok, $"data directory {dir} does not exist yet (created at first start)", null);
            return;
        }
        try
        {
            var probe = Path.Combine(dir, $".doctor-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            report(Level.Ok, $"data directory {dir} is writable", null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            report(Level.Fail, $"data directory {dir} is not writable: {e.Message}", $"chown the directory to the service user, or set AGENTFACTORY_DATA_DIR");
        }
    }

    private static async Task CheckDatabaseAsync(AgentFactoryOptions options, Action<Level, string, string?> report, CancellationToken ct)
    {
        if (options.DatabaseUrl is null && !File.Exists(options.SqlitePath))
        {
            report(Level.Warn, $"no database at {options.SqlitePath} yet (the first start creates it)", "run doctor from the service's working directory, or set AGENTFACTORY_DATA_DIR");
            return;
        }
        Console.WriteLine($"      checking the database ({ServiceCommands.Describe(options)})…");
        try
        {
            var services = new ServiceCollection().AddSingleton(TimeProvider.System).AddSingleton<QueueSignal>().AddStore(options);
            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IJobStore>();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            await store.MigrateAsync(timeout.Token);
            var counts = await store.CountJobsByStatusAsync(timeout.Token);
            report(Level.Ok, $"database reachable, schema current; jobs: {string.Join(", ", counts.Select(c => $"{c.Key.ToString().ToLowerInvariant()} {c.Value}"))}", null);

            var heartbeat = await store.GetLastHeartbeatAsync(timeout.Token);
            var pending = counts.GetValueOrDefault(Jobs.JobStatus.Pending);
            var waiting = pending > 0 ? $"; {pending} job(s) are waiting" : "";
            var now = DateTimeOffset.UtcNow;
            if (heartbeat is null)
                report(Level.Warn, $"no orchestrator is running (none has started, or each stopped){waiting}", "start `agentfactory serve` or `agentfactory orchestrator`");
            else if (!options.IsAlive(heartbeat.At, now))
                report(Level.Warn, $"orchestrator {heartbeat.Instance} stopped without a clean shutdown: its last heartbeat is {Ago(now - heartbeat.At)} old (alive means under {options.LivenessThreshold.TotalSeconds:0} s){waiting}",
                    "check the orchestrator's log and restart it (systemctl status agentfactory)");
            else report(Level.Ok, $"orchestrator {heartbeat.Instance} is alive (heartbeat {(now - heartbeat.At).TotalSeconds:F0} s ago)", null);
        }
        catch (Exception e) when (e is StoreUnavailableException or OperationCanceledException or SettingsException)
        {
            report(Level.Fail, $"database: {e.Message}", options.DatabaseUrl is null
                ? $"check that {options.SqlitePath} is on a writable local disk"
                : "check DATABASE_URL (host, port, password, sslmode) and that the server accepts connections from here");
        }
    }

    private static string Ago(TimeSpan age) => age.TotalSeconds < 120 ? $"{age.TotalSeconds:F0} s" : $"{age.TotalMinutes:F0} min";

    private static async Task CheckGitAsync(AgentFactoryOptions options, Action<Level, string, string?> report, CancellationToken ct)
    {
        if (!options.GitSyncEnabled)
        {
            report(Level.Ok, "git sync is off (GIT_SYNC_ENABLED=false)", null);
            return;
        }
        var path = Path.GetFullPath(options.GitSyncPath ?? Directory.GetCurrentDirectory());
        var git = new Git(new HostProcesses(), new ProcessEnvironment(CliApp.Env));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.GitSyncTimeout);
            var inside = await git.TryRunAsync(path, ["rev-parse", "--is-inside-work-tree"], timeout.Token);
            if (inside.ExitCode != 0)
            {
                report(options.GitSyncPath is null ? Level.Warn : Level.Fail, $"git sync: {path} is not a git working copy",
                    "set GIT_SYNC_PATH to the clone to keep current, or GIT_SYNC_ENABLED=false");
                return;
            }
            Console.WriteLine($"      checking that {path} can pull from its remote…");
            var credentials = await git.RemoteCredentialsAsync(path, timeout.Token);
            var remote = await git.TryRunAsync(path, ["ls-remote", "--exit-code", "--heads", "origin"], timeout.Token, credentials);
            if (remote.ExitCode == 0) report(Level.Ok, $"git sync: {path} reaches its remote", null);
            else report(Level.Warn, $"git sync: `git ls-remote origin` failed in {path}: {remote.Output.Trim()}", "check the remote URL and credentials (ssh key, token), or set GIT_SYNC_ENABLED=false");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            report(Level.Warn, $"git sync: the remote of {path} did not answer within {options.GitSyncTimeout.TotalSeconds:F0} s", "check network access to the git host");
        }
        catch (InvalidOperationException e)
        {
            report(Level.Fail, $"git sync: {e.Message}", "install git, or set GIT_SYNC_ENABLED=false");
        }
    }
}
