using System.Net;
using System.Text;

namespace AgentFactory.Notify;

/// <summary>
/// A message for people: a headline, optional details, an optional block of program output and a
/// link. Each channel renders it in its own markup; the text is escaped, never interpreted.
/// </summary>
public sealed record Notice(bool Ok, string Headline, string? Details = null, string? Output = null, string? Link = null)
{
    private const int TelegramLimit = 4096;

    /// <summary>Telegram HTML (parse_mode HTML), kept under the 4096-character message limit by shortening the output from its start.</summary>
    public string ToTelegramHtml()
    {
        var head = new StringBuilder();
        head.Append(Ok ? "✅ " : "❌ ").Append("<b>").Append(WebUtility.HtmlEncode(Headline)).Append("</b>");
        if (Details is { Length: > 0 }) head.Append('\n').Append(WebUtility.HtmlEncode(Details));
        var link = Link is null ? "" : "\n" + WebUtility.HtmlEncode(Link);
        if (Output is not { Length: > 0 }) return Cap(head + link);
        var room = TelegramLimit - head.Length - link.Length - 32;
        var output = Output.Length > room && room > 0 ? "…" + Output[^(room - 1)..] : Output;
        return Cap($"{head}\n<pre>{WebUtility.HtmlEncode(output)}</pre>{link}");
    }

    /// <summary>Slack mrkdwn for an incoming webhook's "text".</summary>
    public string ToSlackText()
    {
        var text = new StringBuilder();
        text.Append(Ok ? ":white_check_mark: " : ":x: ").Append('*').Append(SlackEscape(Headline)).Append('*');
        if (Details is { Length: > 0 }) text.Append('\n').Append(SlackEscape(Details));
        if (Output is { Length: > 0 }) text.Append("\n```\n").Append(SlackEscape(Output.Length > 3000 ? "…" + Output[^2999..] : Output)).Append("\n```");
        if (Link is not null) text.Append('\n').Append('<').Append(Link).Append('>');
        return text.ToString();
    }

    /// <summary>The last <paramref name="lines"/> lines of program output.</summary>
    public static string? Tail(string? output, int lines)
    {
        if (string.IsNullOrWhiteSpace(output)) return null;
        var all = output.TrimEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    private static string Cap(string text) => text.Length <= TelegramLimit ? text : text[..(TelegramLimit - 1)] + "…";

    private static string SlackEscape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
