using System.Collections;

namespace AgentFactory.Hosting;

/// <summary>
/// The process environment, read once at start-up (after .env). Every setting is loaded from it and
/// every variable a child process may inherit is taken from it, so nothing reads the live environment
/// later, and a test hands the service exactly the variables it means.
/// </summary>
public sealed class HostEnvironment
{
    private readonly Dictionary<string, string> _variables;

    public HostEnvironment(IEnumerable<KeyValuePair<string, string>> variables) =>
        _variables = new Dictionary<string, string>(variables, StringComparer.Ordinal);

    /// <summary>This process's environment as it is now.</summary>
    public static HostEnvironment Capture()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            if (e.Key is string k && e.Value is string v) variables[k] = v;
        return new HostEnvironment(variables);
    }

    /// <summary>Only PATH and HOME of this process: what tests give an in-process service.</summary>
    public static HostEnvironment Minimal(IReadOnlyDictionary<string, string>? extra = null)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in new[] { "PATH", "HOME" })
            if (Environment.GetEnvironmentVariable(name) is { } v) variables[name] = v;
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) variables[k] = v;
        return new HostEnvironment(variables);
    }

    public string? Get(string name) => _variables.TryGetValue(name, out var v) ? v : null;

    /// <summary>The reader settings loaders take.</summary>
    public Func<string, string?> Reader => Get;
}
