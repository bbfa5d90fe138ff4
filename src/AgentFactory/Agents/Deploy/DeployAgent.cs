using System.Diagnostics;
using System.Text.Json;
using AgentFactory.Agents.Command;
using AgentFactory.Notify;
using AgentFactory.Options;
using AgentFactory.Sandbox;
using AgentFactory.Workspace;

namespace AgentFactory.Agents.Deploy;

/// <summary>Settings of a "deploy" agent: a command agent's, plus where it runs and who is told.</summary>
public sealed class DeployAgentSettings : CommandAgentSettings
{
    /// <summary>Run in a private worktree of the release's own repository at its tag (workingDirectory is then relative to it).</summary>
    public bool Checkout { get; set; } = true;

    /// <summary>Channels told of the outcome: "telegram", "slack"; absent means every configured channel.</summary>
    public List<string>? Notify { get; set; }

    /// <summary>How many lines of the output's tail go into the notice.</summary>
    public int NotifyTailLines { get; set; } = 20;
}

/// <summary>
/// The guide's Example 2: runs the deployment command for a release, with AF_RELEASE_TAG /
/// AF_RELEASE_NAME / AF_RELEASE_URL (and the command agent's allowlisted environment) in a checkout
/// of the tag, keeps the output tail on the job and posts the outcome to Telegram and/or Slack.
/// The checkout is of the event's repository (repository.full_name) only, from its mirror; the tag is
/// checked to be a tag name before git sees it, so "v1.1~1" or "HEAD" never picks another commit.
/// A notice that cannot be sent is logged and noted in the output; it never fails the deployment.
/// </summary>
public sealed partial class DeployAgent(string name, DeployAgentSettings settings, RepositorySources sources, Worktrees worktrees, Notifications notifications,
    IAgentProcesses processes, ProcessEnvironment environment, JobSandbox sandbox, AgentFactoryOptions options, ILogger<DeployAgent> log) : IAgent
{
    public string Name { get; } = name;

    private IReadOnlyList<string> Channels => settings.Notify ?? [Notifications.AllConfigured];

    public async Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
    {
        var tag = job.PayloadString("release.tag_name")
            ?? throw new PermanentAgentException($"Agent '{Name}' deploys releases: the job payload has no release.tag_name.");
        var target = GitTarget.Tag(tag, "release.tag_name");
        var what = $"{job.PayloadString("repository.full_name") ?? "release"} {tag}";
        var started = Stopwatch.GetTimestamp();
        Worktree? tree = null;
        try
        {
#pragma warning disable CA2000 // disposed in the finally below
            if (settings.Checkout) tree = await worktrees.CheckoutAsync(await sources.ForJobAsync(job, Name, ct), target, $"deploy-{job.Id}", ct);
#pragma warning restore CA2000
            var env = CommandAgent.EnvironmentFor(environment, settings, job);
            if (tree is not null) env["AF_CHECKOUT"] = tree.Path;
            if (tree is not null) env["AF_COMMIT"] = tree.Sha;
            var cwd = tree is null ? Path.GetFullPath(settings.WorkingDirectory ?? Directory.GetCurrentDirectory()) : Path.GetFullPath(Path.Combine(tree.Path, settings.WorkingDirectory ?? "."));
            var args = settings.Command.Skip(1).Select(a => CommandAgent.Expand(a, job)).ToList();
            using var scratch = ScratchDirectory.Create(options.DataDirectory, job.Id);
            var policy = sandbox.PolicyFor(job.Id, settings, tree?.Path ?? scratch.Path);
            env["AF_WORKSPACE"] = tree?.Path ?? scratch.Path;
            JobSandbox.Prepare(env, policy);
            if (tree is null && settings.WorkingDirectory is null) cwd = scratch.Path;
            var result = await processes.RunAsync(new ProcessSpec(settings.Command[0], args, env, cwd, CommandAgent.StdinFor(job), settings.MaxOutputKb * 1024), policy, ct);

            var ok = result.ExitCode == 0;
            var elapsed = Stopwatch.GetElapsedTime(started);
            LogDeployed(log, what, result.ExitCode, elapsed.TotalSeconds);
            var notice = new Notice(ok,
                ok ? $"Deployed {what}" : $"Deployment of {what} failed (exit code {result.ExitCode})",
                Details(job, tree, elapsed), Notice.Tail(result.Output, settings.NotifyTailLines), job.PayloadString("release.html_url"));
            var output = result.Output + await NotifyAsync(notice);
            return ok ? AgentResult.Success(output)
                : AgentResult.Failure($"deploy command '{settings.Command[0]}' exited with code {result.ExitCode}", output);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await NotifyAsync(new Notice(false, $"Deployment of {what} failed", e.Message, Link: job.PayloadString("release.html_url")));
            // A missing program or tag will not appear by retrying.
            if (e is InvalidOperationException or PermanentAgentException) throw new PermanentAgentException(e.Message, e);
            throw;
        }
        catch (OperationCanceledException)
        {
            await NotifyAsync(new Notice(false, $"Deployment of {what} was stopped (timeout, cancellation or shutdown)", Details(job, tree, Stopwatch.GetElapsedTime(started))));
            throw;
        }
        finally
        {
            if (tree is not null) await tree.DisposeAsync();
        }
    }

    private static string Details(AgentJob job, Worktree? tree, TimeSpan elapsed)
    {
        var parts = new List<string>();
        if (job.PayloadString("release.name") is { Length: > 0 } name) parts.Add(name);
        if (tree is not null) parts.Add("commit " + tree.Sha[..Math.Min(7, tree.Sha.Length)]);
        parts.Add($"{elapsed.TotalSeconds:F0}s");
        parts.Add($"job {job.Id}, attempt {job.Attempt}");
        return string.Join(" · ", parts);
    }

    /// <summary>Sends the notice; returns a line for the job's output when a channel failed.</summary>
    private async Task<string> NotifyAsync(Notice notice)
    {
        var failures = await notifications.SendAsync(Channels, notice, CancellationToken.None);
        return failures.Count == 0 ? "" : $"\n[notification failed: {string.Join("; ", failures)}]";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment of {What} exited {ExitCode} after {Seconds:F1}s")]
    private static partial void LogDeployed(ILogger logger, string what, int exitCode, double seconds);
}

public sealed class DeployAgentKind(RepositorySources sources, Worktrees worktrees, Notifications notifications, IAgentProcesses processes, ProcessEnvironment environment, JobSandbox sandbox, AgentFactoryOptions options, ILogger<DeployAgent> log) : IAgentKind
{
    public string Kind => "deploy";

    public IAgent Create(string name, JsonElement settings)
    {
        var parsed = AgentSettings.Parse<DeployAgentSettings>(name, settings);
        CommandAgentKind.Validate(name, parsed, workingDirectoryExists: !parsed.Checkout);
        if (parsed.Checkout && parsed.WorkingDirectory is { } wd && Path.IsPathRooted(wd))
            throw new AgentConfigurationException($"agents.{name}.workingDirectory must be relative to the release checkout (got '{wd}'), or set \"checkout\": false.");
        if (parsed.Notify is { } channels && notifications.Check(channels) is { } problem)
            throw new AgentConfigurationException($"agents.{name}.notify {problem}.");
        if (parsed.NotifyTailLines is < 0 or > 200)
            throw new AgentConfigurationException($"agents.{name}.notifyTailLines must be from 0 to 200.");
        sandbox.Validate(name, parsed);
        return new DeployAgent(name, parsed, sources, worktrees, notifications, processes, environment, sandbox, options, log);
    }
}
