using System.Net;
using System.Text;

namespace AgentFactory.Notify;

/// <summary>
/// A message for people: a headline, optional details, an optional block of program output and a
/// link. Every field may carry payload or agent text (a job type, a tag, an error), so each channel
/// renders it escaped for its own markup and none is ever interpreted: Telegram HTML entities; Slack's
/// &amp;, &lt;, &gt; (so "&lt;!channel&gt;" or "&lt;https://evil|Approve&gt;" show as written, never as a
/// mention or a disguised link) and no code fence an output can close. The link becomes a link only
/// when it is an absolute http(s) URL, shown as itself (never under another label); otherwise it is text.
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
        var link = Link is null ? "" : "\n" + WebUtility.HtmlEncode(Link); // plain text: Telegram links a URL without a label
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
        if (Output is { Length: > 0 }) text.Append("\n```\n").Append(SlackEscape(Unfenced(Output.Length > 3000 ? "…" + Output[^2999..] : Output))).Append("\n```");
        if (Link is not null) text.Append('\n').Append(SlackLink(Link));
        return text.ToString();
    }

    /// <summary>
    /// &lt;url&gt; for an absolute http(s) URL, its '|' percent-encoded so no label can follow and hide
    /// where it points; anything else (a "link" from a payload) is escaped text.
    /// </summary>
    private static string SlackLink(string link) =>
        Uri.TryCreate(link, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !link.Any(char.IsWhiteSpace)
            ? "<" + SlackEscape(link.Replace("|", "%7C", StringComparison.Ordinal)) + ">"
            : SlackEscape(link);

    /// <summary>An output that contains ``` would end the code block early; a zero-width space keeps it inside.</summary>
    private static string Unfenced(string output) => output.Replace("```", "`\u200B`\u200B`", StringComparison.Ordinal);

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
