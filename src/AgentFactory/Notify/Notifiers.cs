using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace AgentFactory.Notify;

/// <summary>One notification channel.</summary>
public interface INotifier
{
    /// <summary>"telegram", "slack": the name used in the routing file.</summary>
    string Channel { get; }

    Task SendAsync(Notice notice, CancellationToken ct);
}

/// <summary>Telegram Bot API sendMessage through the Telegram.Bot client.</summary>
public sealed class TelegramNotifier(NotifySettings settings, HttpClient http) : INotifier
{
    private readonly TelegramBotClient _bot = new(
        new TelegramBotClientOptions(settings.TelegramBotToken!, settings.TelegramApiUrl?.AbsoluteUri.TrimEnd('/')), http);

    public string Channel => "telegram";

    public async Task SendAsync(Notice notice, CancellationToken ct)
    {
        ChatId chat = long.TryParse(settings.TelegramChatId, out var id) ? new ChatId(id) : new ChatId(settings.TelegramChatId!);
        try
        {
            await _bot.SendMessage(chat, notice.ToTelegramHtml(), ParseMode.Html,
                linkPreviewOptions: new LinkPreviewOptions { IsDisabled = true }, cancellationToken: ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The bot token is part of every request URL: make sure no message carries it.
            throw new InvalidOperationException(e.Message.Replace(settings.TelegramBotToken!, "<TELEGRAM_BOT_TOKEN>", StringComparison.Ordinal));
        }
    }
}

/// <summary>A Slack incoming webhook: POST {"text": …}; Slack answers "ok" or a short error word.</summary>
public sealed class SlackNotifier(NotifySettings settings, HttpClient http) : INotifier
{
    public string Channel => "slack";

    public async Task SendAsync(Notice notice, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(settings.SlackWebhookUrl, new SlackMessage(notice.ToSlackText()), ct);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new InvalidOperationException($"Slack answered {(int)response.StatusCode}: {(body.Length > 200 ? body[..200] : body)}");
        }
    }

    private sealed record SlackMessage(string text);
}
