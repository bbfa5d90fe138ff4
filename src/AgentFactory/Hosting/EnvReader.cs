using System.Globalization;

namespace AgentFactory.Hosting;

/// <summary>
/// Reads the agents' settings from environment variables (after .env), collecting every problem so
/// that start-up reports them together, each naming its variable. VAR_FILE may hold VAR's value in a
/// file (Docker/systemd secrets). Values are never echoed in messages: some are secrets.
/// </summary>
public sealed class EnvReader(Func<string, string?> env)
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors => _errors;

    public void Error(string message) => _errors.Add(message);

    /// <summary>VAR, or the trimmed contents of the file named by VAR_FILE; null when neither is set.</summary>
    public string? Get(string name)
    {
        var value = env(name);
        if (string.IsNullOrWhiteSpace(value) && env(name + "_FILE") is { Length: > 0 } file)
        {
            try { value = File.ReadAllText(file).Trim(); }
            catch (IOException e) { _errors.Add($"{name}_FILE points to '{file}', which cannot be read: {e.Message}"); }
            catch (UnauthorizedAccessException) { _errors.Add($"{name}_FILE points to '{file}', which this user may not read."); }
        }
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    /// <summary>An absolute http(s) URL, or the fallback.</summary>
    public Uri? Url(string name, Uri? fallback = null)
    {
        var raw = Get(name);
        if (raw is null) return fallback;
        if (Uri.TryCreate(raw, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri;
        _errors.Add($"{name} must be an absolute http(s) URL (got '{raw}').");
        return fallback;
    }

    public long? WholeNumber(string name, long min, long max)
    {
        var raw = Get(name);
        if (raw is null) return null;
        if (long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
        _errors.Add($"{name} must be a whole number from {min} to {max} (got '{raw}').");
        return null;
    }

    public int Count(string name, int fallback, int min, int max) => (int)(WholeNumber(name, min, max) ?? fallback);

    public TimeSpan Seconds(string name, double fallback, double min, double max)
    {
        var raw = Get(name);
        if (raw is null) return TimeSpan.FromSeconds(fallback);
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return TimeSpan.FromSeconds(v);
        _errors.Add($"{name} must be a number of seconds from {min} to {max} (got '{raw}').");
        return TimeSpan.FromSeconds(fallback);
    }

    public void ThrowIfErrors()
    {
        if (_errors.Count > 0) throw new SettingsException(string.Join(Environment.NewLine, _errors));
    }
}
