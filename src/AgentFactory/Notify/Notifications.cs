using AgentFactory.Observability;

namespace AgentFactory.Notify;

/// <summary>
/// Sends a notice to several channels. A channel that fails is logged and reported back, never
/// thrown: a notification must not fail the job it is about. Every field of a notice, and every
/// failure reason, is redacted first (<see cref="SecretRedactor"/>): a chat never sees a token.
/// </summary>
public sealed partial class Notifications(IEnumerable<INotifier> notifiers, NotifySettings settings, ILogger<Notifications> log, SecretRedactor? redactor = null)
{
    private readonly SecretRedactor _redactor = redactor ?? SecretRedactor.None;

    /// <summary>In the routing file, "*" means every configured channel.</summary>
    public const string AllConfigured = "*";

    public static readonly string[] KnownChannels = ["telegram", "slack"];

    private readonly Dictionary<string, INotifier> _byChannel = notifiers.ToDictionary(n => n.Channel, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<string> Configured => _byChannel.Keys;

    /// <summary>The channels named in a setting, checked: null when they are fine, else the problem (naming the variables to set).</summary>
    public string? Check(IEnumerable<string> channels)
    {
        foreach (var c in channels)
        {
            if (c == AllConfigured || _byChannel.ContainsKey(c)) continue;
            return c.ToLowerInvariant() switch
            {
                "telegram" => "names \"telegram\", but TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not set",
                "slack" => "names \"slack\", but SLACK_WEBHOOK_URL is not set",
                _ => $"names \"{c}\", which is not a channel (use {string.Join(", ", KnownChannels)} or \"*\" for every configured one)",
            };
        }
        return null;
    }

    /// <summary>Sends to each channel; returns "channel: reason" for each that failed.</summary>
    public async Task<IReadOnlyList<string>> SendAsync(IEnumerable<string> channels, Notice notice, CancellationToken ct)
    {
        notice = notice with
        {
            Headline = _redactor.Redact(notice.Headline),
            Details = _redactor.RedactOrNull(notice.Details),
            Output = _redactor.RedactOrNull(notice.Output),
            Link = _redactor.RedactOrNull(notice.Link),
        };
        var targets = channels.SelectMany<string, INotifier>(c => c == AllConfigured ? _byChannel.Values : _byChannel.TryGetValue(c, out var n) ? [n] : [])
            .Distinct().ToList();
        var failures = new List<string>();
        foreach (var notifier in targets)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(settings.Timeout);
            try
            {
                await notifier.SendAsync(notice, timeout.Token);
                LogSent(log, notifier.Channel, notice.Headline);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                var reason = e is OperationCanceledException ? $"no answer within {settings.Timeout.TotalSeconds:F0}s" : _redactor.Redact(e.Message);
                failures.Add($"{notifier.Channel}: {reason}");
                LogFailed(log, notifier.Channel, notice.Headline, reason);
            }
        }
        return failures;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Notified {Channel}: {Headline}")]
    private static partial void LogSent(ILogger logger, string channel, string headline);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not notify {Channel} of \"{Headline}\": {Reason}")]
    private static partial void LogFailed(ILogger logger, string channel, string headline, string reason);
}
