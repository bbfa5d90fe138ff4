using System.Text;
using System.Text.Json.Nodes;

namespace AgentFactory.Routing;

/// <summary>
/// What a comment asks of the agents: a slash command at its start (<c>/fix make the test pass</c>, optionally
/// after the rule's mention: <c>@agentfactory /fix …</c>), or a mention anywhere in it. The argument is the
/// comment's untrusted text: it goes into the job payload as data (<see cref="PayloadField"/>), never into a
/// command line, a git option or a URL. Pure: no I/O.
/// </summary>
/// <param name="Trigger">"command" or "mention".</param>
/// <param name="Name">The command without its slash, lower case ("fix"); null for a mention.</param>
/// <param name="Argument">The text after the command (or the comment without the mention), cleaned of control characters; empty when none.</param>
public sealed record CommentCommand(string Trigger, string? Name, string Argument)
{
    /// <summary>The payload field the router adds to a comment-triggered job: <c>agentfactory.command</c>, <c>agentfactory.argument</c>, <c>agentfactory.trigger</c>.</summary>
    public const string PayloadField = "agentfactory";

    /// <summary>The longest argument kept; the rest is cut (GitHub comments may hold 65,536 characters).</summary>
    public const int MaxArgument = 4000;

    /// <summary>
    /// The slash command the comment starts with: "/" then a letter and letters, digits, '-' or '_', then white
    /// space or the end. Leading white space is skipped, and so is <paramref name="mention"/> when the comment
    /// starts with it. A "/fix" anywhere else (mid-sentence, in a quote or a code block) is no command.
    /// </summary>
    public static CommentCommand? Parse(string? body, string? mention)
    {
        if (string.IsNullOrEmpty(body)) return null;
        var text = body.AsSpan().TrimStart();
        if (!string.IsNullOrEmpty(mention) && StartsWithMention(text, mention)) text = text[mention.Length..].TrimStart();
        if (text.Length < 2 || text[0] != '/' || !char.IsAsciiLetter(text[1])) return null;
        var end = 2;
        while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] is '-' or '_')) end++;
        if (end < text.Length && !char.IsWhiteSpace(text[end])) return null; // "/fix:" or "/fix/path" is not a command
        return new CommentCommand("command", text[1..end].ToString().ToLowerInvariant(), Clean(text[end..].ToString()));
    }

    /// <summary>
    /// Whether the comment mentions <paramref name="mention"/> ("@agentfactory", any case) as a whole login,
    /// outside quoted lines ("> …") and code fences, so quoting an old request does not repeat it.
    /// </summary>
    public static bool Mentions(string? body, string mention)
    {
        if (string.IsNullOrEmpty(body) || string.IsNullOrEmpty(mention)) return false;
        var fenced = false;
        foreach (var raw in body.Split('\n'))
        {
            var line = raw.TrimStart();
            if (line.StartsWith("```", StringComparison.Ordinal) || line.StartsWith("~~~", StringComparison.Ordinal)) { fenced = !fenced; continue; }
            if (fenced || line.StartsWith('>')) continue;
            for (var at = line.IndexOf(mention, StringComparison.OrdinalIgnoreCase); at >= 0; at = line.IndexOf(mention, at + 1, StringComparison.OrdinalIgnoreCase))
            {
                var before = at == 0 || !IsLoginChar(line[at - 1]) && line[at - 1] != '/';
                var after = at + mention.Length;
                if (before && (after == line.Length || !IsLoginChar(line[after]))) return true;
            }
        }
        return false;
    }

    /// <summary>A mention trigger: the comment's text with the mention taken out, as its argument.</summary>
    public static CommentCommand ForMention(string body, string mention) =>
        new("mention", null, Clean(body.Replace(mention, "", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The payload with <c>agentfactory: { trigger, command, argument }</c> set (replacing any such field).</summary>
    public string AddTo(string payloadJson)
    {
        var node = JsonNode.Parse(payloadJson)!.AsObject();
        node[PayloadField] = new JsonObject { ["trigger"] = Trigger, ["command"] = Name, ["argument"] = Argument };
        return node.ToJsonString();
    }

    private static bool StartsWithMention(ReadOnlySpan<char> text, string mention) =>
        text.StartsWith(mention, StringComparison.OrdinalIgnoreCase) && (text.Length == mention.Length || !IsLoginChar(text[mention.Length]));

    /// <summary>GitHub logins are letters, digits and '-'; '_' and '[' ']' are not, but a mention followed by them is another word.</summary>
    private static bool IsLoginChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    /// <summary>Trimmed, line ends as '\n', control characters (but tab and newline) dropped, cut at <see cref="MaxArgument"/>.</summary>
    private static string Clean(string text)
    {
        var sb = new StringBuilder(Math.Min(text.Length, MaxArgument));
        foreach (var c in text.Replace("\r\n", "\n", StringComparison.Ordinal))
        {
            if (sb.Length >= MaxArgument) break;
            if (c is '\n' or '\t' || !char.IsControl(c)) sb.Append(c);
        }
        return sb.ToString().Trim();
    }
}
