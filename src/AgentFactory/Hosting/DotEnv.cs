namespace AgentFactory.Hosting;

/// <summary>
/// Reads a .env file (KEY=VALUE lines, optional "export ", '#' comments, single or double quotes)
/// into the process environment without overriding variables that are already set. No variable
/// interpolation: a '$' in a secret stays a '$'.
/// </summary>
public static class DotEnv
{
    public static int Load(string path)
    {
        if (!File.Exists(path)) return 0;
        var count = 0;
        foreach (var (key, value) in Parse(File.ReadAllLines(path)))
        {
            if (Environment.GetEnvironmentVariable(key) is not null) continue;
            Environment.SetEnvironmentVariable(key, value);
            count++;
        }
        return count;
    }

    public static IEnumerable<(string Key, string Value)> Parse(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '\'' && value.IndexOf('\'', 1) is var sq and > 0)
                value = value[1..sq];
            else if (value.Length >= 2 && value[0] == '"' && value.IndexOf('"', 1) is var dq and > 0)
                value = value[1..dq].Replace("\\n", "\n", StringComparison.Ordinal);
            else if (value.IndexOf(" #", StringComparison.Ordinal) is var hash and >= 0)
                value = value[..hash].TrimEnd();
            yield return (key, value);
        }
    }
}
