using AgentFactory.Hosting;

namespace AgentFactory.Dashboard;

/// <summary>
/// The admin surface (/dashboard, /api/*, /metrics): who may use it and where it listens. Read once at
/// start-up by <see cref="DashboardSettingsLoader"/>.
/// </summary>
public sealed class DashboardSettings
{
    public const int MinTokenLength = 16;

    /// <summary>ADMIN_TOKEN (or ADMIN_TOKEN_FILE), else generated into the data directory as admin-token.</summary>
    public required string AdminToken { get; init; }

    /// <summary>Where the token came from, for messages: "ADMIN_TOKEN" or a file path. Never the value.</summary>
    public required string AdminTokenSource { get; init; }

    /// <summary>ADMIN_URLS: when not empty, the admin surface answers only on these addresses (404 elsewhere).</summary>
    public IReadOnlyList<string> AdminUrls { get; init; } = [];

    /// <summary>The local ports of <see cref="AdminUrls"/>; a request is "on the admin address" when it arrived on one.</summary>
    public IReadOnlySet<int> AdminPorts { get; init; } = new HashSet<int>();

    /// <summary>Data Protection keys that sign the session and anti-forgery cookies (data/keys).</summary>
    public required string KeysDirectory { get; init; }

    /// <summary>The server-side browser sessions (data/sessions); logout deletes one, a restart keeps them.</summary>
    public string SessionsDirectory => Path.Combine(Path.GetDirectoryName(KeysDirectory)!, "sessions");
}

public static class DashboardSettingsLoader
{
    public const string TokenFileName = "admin-token";

    /// <summary>
    /// Reads ADMIN_TOKEN / ADMIN_TOKEN_FILE and ADMIN_URLS. With <paramref name="createToken"/>, a missing
    /// token is generated once into &lt;data&gt;/admin-token (mode 0600) and reused afterwards.
    /// </summary>
    public static DashboardSettings Load(Func<string, string?> env, string dataDirectory, bool createToken)
    {
        var reader = new EnvReader(env);
        var errors = new List<string>();
        var token = reader.Get("ADMIN_TOKEN");
        var source = "ADMIN_TOKEN";
        if (token is not null && token.Length < DashboardSettings.MinTokenLength)
            errors.Add($"ADMIN_TOKEN must be at least {DashboardSettings.MinTokenLength} characters (this one has {token.Length}). Generate one with: agentfactory secret");

        var urls = new List<string>();
        var ports = new HashSet<int>();
        foreach (var url in (reader.Get("ADMIN_URLS") ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (ParsePort(url) is { } port) { urls.Add(url); ports.Add(port); }
            else errors.Add($"ADMIN_URLS entry '{url}' must be an http(s) address with an explicit port, e.g. http://127.0.0.1:8001.");
        }
        errors.InsertRange(0, reader.Errors);
        if (errors.Count > 0) throw new SettingsException(string.Join(Environment.NewLine, errors));

        if (token is null)
        {
            if (!createToken) throw new SettingsException("ADMIN_TOKEN is not set and no admin-token file may be generated here.");
            (token, source) = TokenFile(dataDirectory);
        }
        return new DashboardSettings
        {
            AdminToken = token,
            AdminTokenSource = source,
            AdminUrls = urls,
            AdminPorts = ports,
            KeysDirectory = Path.Combine(dataDirectory, "keys"),
        };
    }

    private static int? ParsePort(string url)
    {
        try
        {
            var address = BindingAddress.Parse(url);
            return address is { IsUnixPipe: false, Port: > 0, PathBase.Length: 0 } && address.Scheme is "http" or "https" ? address.Port : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static (string Token, string Path) TokenFile(string dataDirectory)
    {
        SettingsLoader.CreatePrivateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, TokenFileName);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length >= DashboardSettings.MinTokenLength) return (existing, path);
            throw new SettingsException($"{path} holds a token shorter than {DashboardSettings.MinTokenLength} characters. Delete the file to generate a new one.");
        }
        var token = SettingsLoader.NewSecret();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(token + "\n");
        SettingsLoader.CreatedSecretFiles.Add(path);
        return (token, path);
    }
}
