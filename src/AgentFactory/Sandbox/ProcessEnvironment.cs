using AgentFactory.Hosting;

namespace AgentFactory.Sandbox;

/// <summary>
/// The one allowlist of what a child process inherits from the service's environment. Nothing else
/// passes: the service's secrets (webhook secret, tokens, API keys, DATABASE_URL) never reach a child
/// unless an operator names them in an agent's passEnv.
/// </summary>
public sealed class ProcessEnvironment(HostEnvironment host)
{
    /// <summary>What every child gets: where programs are, a home, the locale and time zone.</summary>
    public static readonly IReadOnlyList<string> Base = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME"];

    /// <summary>What the service's own git needs in addition (its SSH agent and config, never an agent's).</summary>
    public static readonly IReadOnlyList<string> Git = ["SSH_AUTH_SOCK", "GIT_SSH_COMMAND", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"];

    public const string DefaultPath = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>For an agent's process: the base variables and those the operator listed in passEnv.</summary>
    public Dictionary<string, string> ForAgent(IEnumerable<string> passEnv) => Pick(Base.Concat(passEnv));

    /// <summary>For the service's own git and host commands; git never prompts for a password.</summary>
    public Dictionary<string, string> ForHost()
    {
        var env = Pick(Base.Concat(Git));
        env["GIT_TERMINAL_PROMPT"] = "0";
        return env;
    }

    private Dictionary<string, string> Pick(IEnumerable<string> names)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
            if (host.Get(name) is { } v) env[name] = v;
        env.TryAdd("PATH", DefaultPath);
        return env;
    }
}
