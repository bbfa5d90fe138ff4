using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentFactory.Options;
using AgentFactory.Sandbox;

namespace AgentFactory.Agents.Command;

/// <summary>Settings of a "command" agent in the routing file (and the base of the "deploy" agent's).</summary>
public class CommandAgentSettings : AgentSandboxSettings
{
    /// <summary>The program and its arguments, e.g. ["./scripts/deploy.sh", "{{release.tag_name}}"]. No shell is involved.</summary>
    public List<string> Command { get; set; } = [];

    /// <summary>Where the command runs (read-only in the sandbox unless listed in writablePaths); default: the job's own scratch directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Fixed variables given to the command.</summary>
    public Dictionary<string, string> Env { get; set; } = [];

    /// <summary>Names of the service's own variables the command may see (nothing else is passed).</summary>
    public List<string> PassEnv { get; set; } = [];

    /// <summary>How much of the output tail is kept on the job.</summary>
    public int MaxOutputKb { get; set; } = 64;

    /// <summary>Exit codes that mean retrying cannot help (bad input, refused deploy): the job fails at once.</summary>
    public List<int> PermanentExitCodes { get; set; } = [];
}

/// <summary>
/// Runs a program for each job. The job is on stdin as JSON ({"id","job_type","attempt","payload"})
/// and its key fields are AF_* variables. The environment is an allowlist: the service's secrets are
/// never passed unless named in passEnv. Exit code 0 is success; the process group is killed on
/// timeout or cancellation; the output tail is kept on the job.
/// </summary>
public sealed partial class CommandAgent(string name, CommandAgentSettings settings, IAgentProcesses processes, ProcessEnvironment environment, JobSandbox sandbox, AgentFactoryOptions options) : IAgent
{

    public string Name { get; } = name;

    public async Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
    {
        var args = settings.Command.Skip(1).Select(a => Expand(a, job)).ToList();
        var max = settings.MaxOutputKb * 1024;
        using var scratch = ScratchDirectory.Create(options.DataDirectory, job.Id);
        var cwd = settings.WorkingDirectory is { } wd ? Path.GetFullPath(wd) : scratch.Path;
        var policy = sandbox.PolicyFor(job.Id, settings, scratch.Path);
        var env = BuildEnvironment(job);
        env["AF_WORKSPACE"] = scratch.Path;
        JobSandbox.Prepare(env, policy);
        var result = await processes.RunAsync(new ProcessSpec(settings.Command[0], args, env, cwd, StdinFor(job), max), policy, ct);
        var limit = result.Limit is { } hit ? $" (the sandbox's {hit} limit ended it)" : "";
        if (result.ExitCode == 0) return AgentResult.Success(result.Output);
        var error = $"command '{settings.Command[0]}' exited with code {result.ExitCode}{limit}";
        if (settings.PermanentExitCodes.Contains(result.ExitCode))
            throw new PermanentAgentException($"{error} (listed in permanentExitCodes: not retried){Environment.NewLine}{Tail(result.Output)}");
        return AgentResult.Failure(error, result.Output);
    }

    internal Dictionary<string, string> BuildEnvironment(AgentJob job) => EnvironmentFor(environment, settings, job);

    /// <summary>The allowlisted environment plus the job's AF_* variables; the deploy agent runs its command with it too.</summary>
    public static Dictionary<string, string> EnvironmentFor(ProcessEnvironment environment, CommandAgentSettings settings, AgentJob job)
    {
        var env = environment.ForAgent(settings.PassEnv);
        foreach (var (k, v) in settings.Env) env[k] = v;

        env["AF_JOB_ID"] = job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["AF_JOB_TYPE"] = job.JobType;
        env["AF_ATTEMPT"] = job.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["AF_MAX_ATTEMPTS"] = job.Record.MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (job.Record.EventId is { } eventId) env["AF_EVENT_ID"] = eventId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Add(env, "AF_ACTION", job.PayloadString("action"));
        Add(env, "AF_REPOSITORY", job.PayloadString("repository.full_name"));
        Add(env, "AF_REF", job.PayloadString("ref") ?? job.PayloadString("pull_request.head.ref"));
        Add(env, "AF_SHA", job.PayloadString("after") ?? job.PayloadString("pull_request.head.sha"));
        Add(env, "AF_SENDER", job.PayloadString("sender.login"));
        Add(env, "AF_RELEASE_TAG", job.PayloadString("release.tag_name"));
        Add(env, "AF_RELEASE_NAME", job.PayloadString("release.name"));
        Add(env, "AF_RELEASE_URL", job.PayloadString("release.html_url"));
        Add(env, "AF_ISSUE_NUMBER", job.PayloadString("issue.number"));
        Add(env, "AF_PR_NUMBER", job.PayloadString("pull_request.number"));
        return env;
    }

    private static string Tail(string output) => output.Length <= 2000 ? output : output[^2000..];

    private static void Add(Dictionary<string, string> env, string key, string? value)
    {
        if (value is not null) env[key] = value;
    }

    internal static byte[] StdinFor(AgentJob job)
    {
        var json = $"{{\"id\":{job.Id},\"job_type\":{JsonSerializer.Serialize(job.JobType)},\"attempt\":{job.Attempt},\"payload\":{job.Payload.GetRawText()}}}\n";
        return Encoding.UTF8.GetBytes(json);
    }

    /// <summary>Replaces {{dotted.path}} with that payload value. The result stays one argument: no shell, no word splitting.</summary>
    internal static string Expand(string argument, AgentJob job) =>
        Placeholder().Replace(argument, m => job.PayloadString(m.Groups[1].Value) ?? "");

    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")]
    private static partial Regex Placeholder();
}

public sealed class CommandAgentKind(IAgentProcesses processes, ProcessEnvironment environment, JobSandbox sandbox, AgentFactoryOptions options) : IAgentKind
{
    public string Kind => "command";

    public IAgent Create(string name, JsonElement settings)
    {
        var parsed = AgentSettings.Parse<CommandAgentSettings>(name, settings);
        Validate(name, parsed);
        sandbox.Validate(name, parsed);
        return new CommandAgent(name, parsed, processes, environment, sandbox, options);
    }

    /// <summary>Checks the command settings (shared with the "deploy" kind); throws naming the setting.</summary>
    public static void Validate(string name, CommandAgentSettings parsed, bool workingDirectoryExists = true)
    {
        if (parsed.Command.Count == 0 || string.IsNullOrWhiteSpace(parsed.Command[0]))
            throw new AgentConfigurationException($"agents.{name}.command must be a list: the program, then its arguments, e.g. [\"./scripts/deploy.sh\", \"{{{{release.tag_name}}}}\"].");
        if (parsed.MaxOutputKb is < 1 or > 10_240)
            throw new AgentConfigurationException($"agents.{name}.maxOutputKb must be from 1 to 10240 (got {parsed.MaxOutputKb}).");
        if (workingDirectoryExists && parsed.WorkingDirectory is { } wd && !Directory.Exists(wd))
            throw new AgentConfigurationException($"agents.{name}.workingDirectory '{wd}' does not exist.");
    }
}
