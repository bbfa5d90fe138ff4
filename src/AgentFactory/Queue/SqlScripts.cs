using System.Collections.Concurrent;
using System.Reflection;

namespace AgentFactory.Queue;

/// <summary>Loads the SQL embedded from Queue/&lt;Driver&gt;/Sql and Queue/&lt;Driver&gt;/Migrations.</summary>
public static class SqlScripts
{
    private static readonly Assembly Assembly = typeof(SqlScripts).Assembly;
    private static readonly ConcurrentDictionary<string, string> Cache = new();

    /// <summary>A statement file, e.g. Get("Sqlite", "claim").</summary>
    public static string Get(string driver, string name) => Cache.GetOrAdd($"sql/{driver}/Sql/{name}.sql", Read);

    /// <summary>The numbered migrations of a driver, in order: (version, name, sql).</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations(string driver)
    {
        var prefix = $"sql/{driver}/Migrations/";
        return [.. Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => (Name: n[prefix.Length..^4], Resource: n))
            .Select(m => (int.Parse(m.Name.Split('_')[0], System.Globalization.CultureInfo.InvariantCulture), m.Name, Read(m.Resource)))
            .OrderBy(m => m.Item1)];
    }

    private static string Read(string resource)
    {
        using var stream = Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"SQL resource '{resource}' is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
