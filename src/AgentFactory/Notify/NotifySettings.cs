using System.Text.RegularExpressions;
using AgentFactory.Hosting;

namespace AgentFactory.Notify;

/// <summary>
/// Where notices go: Telegram (TELEGRAM_BOT_TOKEN from @BotFather, TELEGRAM_CHAT_ID, optional
/// TELEGRAM_API_URL for a self-hosted Bot API server) and Slack (SLACK_WEBHOOK_URL, an incoming
/// webhook). A channel is available when its variables are set.
/// </summary>
public sealed partial class NotifySettings
{
    public string? TelegramBotToken { get; init; }
    public string? TelegramChatId { get; init; }
    public Uri? TelegramApiUrl { get; init; }
    public Uri? SlackWebhookUrl { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);

    public bool TelegramConfigured => TelegramBotToken is not null && TelegramChatId is not null;
    public bool SlackConfigured => SlackWebhookUrl is not null;

    public static NotifySettings Load(EnvReader env)
    {
        var token = env.Get("TELEGRAM_BOT_TOKEN");
        var chat = env.Get("TELEGRAM_CHAT_ID");
        if (token is not null && !BotToken().IsMatch(token))
            env.Error("TELEGRAM_BOT_TOKEN does not look like a bot token (expected 123456789:AA… as @BotFather gives it).");
        if (token is not null && chat is null)
            env.Error("TELEGRAM_BOT_TOKEN is set but TELEGRAM_CHAT_ID is not: set the chat to post to (a numeric id such as -1001234567890, or @channelname).");
        if (token is null && chat is not null)
            env.Error("TELEGRAM_CHAT_ID is set but TELEGRAM_BOT_TOKEN is not.");
        return new NotifySettings
        {
            TelegramBotToken = token,
            TelegramChatId = chat,
            TelegramApiUrl = env.Url("TELEGRAM_API_URL"),
            SlackWebhookUrl = env.Url("SLACK_WEBHOOK_URL"),
            Timeout = env.Seconds("NOTIFY_TIMEOUT_SECONDS", 15, 1, 300),
        };
    }

    [GeneratedRegex(@"^\d+:[A-Za-z0-9_-]+$")]
    private static partial Regex BotToken();
}
