using System.Text.RegularExpressions;
using AgentFactory.Hosting;
using AgentFactory.Queue.Postgres;

namespace AgentFactory.Observability;

/// <summary>
/// The one place that knows every secret value the service holds — webhook secrets, the manual and
/// admin tokens, GITHUB_TOKEN and the GitHub App key, LLM_API_KEY, TELEGRAM_BOT_TOKEN, SLACK_WEBHOOK_URL,
/// the DATABASE_URL password — and replaces each with its setting's name ("&lt;GITHUB_TOKEN&gt;"). It also
/// strips the credentials of any URL ("https://user:token@host" → "https://***@host"), whoever put them
/// there (a remote URL an agent printed, a token minted at run time). Applied to job errors and outputs
/// before they are stored, to notices before they are sent, and to every console log line.
/// </summary>
public sealed partial class SecretRedactor
{
    /// <summary>Shorter values are not treated as secrets: replacing them would mangle ordinary text.</summary>
    public const int MinLength = 8;

    public static SecretRedactor None { get; } = new([]);

    private readonly Lock _gate = new();
    private (string Value, string Name)[] _secrets = [];

    public SecretRedactor(IEnumerable<(string Name, string? Value)> secrets)
    {
        foreach (var (name, value) in secrets) Add(name, value);
    }

    /// <summary>Every secret of a process configured with <paramref name="settings"/>.</summary>
    public static SecretRedactor For(ServiceSettings settings)
    {
        var o = settings.Options;
        var list = new List<(string, string?)>();
        list.AddRange(o.WebhookSecrets.Select(s => ("GITHUB_WEBHOOK_SECRET", (string?)s)));
        list.Add(("MANUAL_TRIGGER_TOKEN", o.ManualTriggerToken));
        list.Add(("ADMIN_TOKEN", settings.Dashboard?.AdminToken ?? settings.Environment.Get("ADMIN_TOKEN") ?? ReadIfPresent(Path.Combine(o.DataDirectory, "admin-token"))));
        if (o.DatabaseUrl is { } url)
        {
            list.Add(("DATABASE_URL", url));
            try { list.Add(("DATABASE_URL password", PostgresConnectionString.Parse(url).Password)); }
            catch (FormatException) { /* refused at start-up with its own message */ }
        }
        list.AddRange(Integrations(settings.Integrations));
        return new SecretRedactor(list);
    }

    /// <summary>The integrations' secrets alone (for a process that has no service options, e.g. doctor).</summary>
    public static IEnumerable<(string Name, string? Value)> Integrations(IntegrationSettings integrations) =>
    [
        ("GITHUB_TOKEN", integrations.GitHub.Token),
        ("GITHUB_APP_PRIVATE_KEY", integrations.GitHub.AppPrivateKeyPem),
        ("LLM_API_KEY", integrations.Llm.ApiKey),
        ("TELEGRAM_BOT_TOKEN", integrations.Notify.TelegramBotToken),
        ("SLACK_WEBHOOK_URL", integrations.Notify.SlackWebhookUrl?.AbsoluteUri),
        ("SLACK_WEBHOOK_URL", integrations.Notify.SlackWebhookUrl?.AbsolutePath is { Length: > 1 } path ? path : null),
    ];

    /// <summary>Adds a secret learnt at run time (a GitHub App installation token). Safe to call concurrently.</summary>
    public void Add(string name, string? value)
    {
        if (value is null || value.Trim().Length < MinLength) return;
        lock (_gate)
        {
            var added = _secrets.ToList();
            foreach (var form in new[] { value, value.Trim(), Uri.EscapeDataString(value.Trim()) }.Distinct(StringComparer.Ordinal))
                if (!added.Exists(s => s.Value == form)) added.Add((form, $"<{name}>"));
            // Longest first, so a secret that contains another is replaced whole.
            _secrets = [.. added.OrderByDescending(s => s.Value.Length)];
        }
    }

    public string Redact(string text)
    {
        if (text.Length == 0) return text;
        foreach (var (value, name) in _secrets)
            if (text.Contains(value, StringComparison.Ordinal)) text = text.Replace(value, name, StringComparison.Ordinal);
        return text.Contains('@', StringComparison.Ordinal) ? UrlCredentials().Replace(text, "${scheme}***@") : text;
    }

    public string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    private static string? ReadIfPresent(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path).Trim() : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>scheme://userinfo@ — the userinfo is whatever stands between "//" and "@" without a slash or space.</summary>
    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s@'""<>]+@")]
    private static partial Regex UrlCredentials();
}
