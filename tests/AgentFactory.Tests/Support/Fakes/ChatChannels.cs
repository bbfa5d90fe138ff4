using AgentFactory.Notify;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>A local Telegram Bot API and a Slack incoming webhook, and the settings that point the notifiers at them.</summary>
public sealed class ChatChannels : IAsyncDisposable
{
    public FakeTelegram Telegram { get; private init; } = null!;
    public FakeSlack Slack { get; private init; } = null!;

    public static async Task<ChatChannels> StartAsync() =>
        new() { Telegram = await FakeTelegram.StartAsync(), Slack = await FakeSlack.StartAsync() };

    public NotifySettings Settings(string telegramChatId) => new()
    {
        TelegramBotToken = FakeTelegram.Token,
        TelegramChatId = telegramChatId,
        TelegramApiUrl = Telegram.BaseUrl,
        SlackWebhookUrl = Slack.HookUrl,
    };

    public async ValueTask DisposeAsync()
    {
        await Telegram.DisposeAsync();
        await Slack.DisposeAsync();
    }
}
