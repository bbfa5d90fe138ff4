using System.Text.Json;

namespace AgentFactory.Routing;

/// <summary>The parts of a rule that read a comment (commands, mention) and what an event is about. Pure: no I/O.</summary>
public static class CommentRouting
{
    /// <summary>Whether the delivery's comment (comment.body) satisfies the rule's commands and mention; <paramref name="command"/> is what it asked.</summary>
    public static bool Matches(RouteRule rule, JsonElement payload, out CommentCommand? command)
    {
        command = null;
        var body = Router.Str(payload, "comment", "body");
        if (body is null) return false;
        if (rule.Commands.Count > 0)
        {
            var parsed = CommentCommand.Parse(body, rule.Mention);
            if (parsed is null || !rule.Commands.Exists(c => string.Equals(c.TrimStart('/'), parsed.Name, StringComparison.OrdinalIgnoreCase))) return false;
            command = parsed;
            return true;
        }
        if (!CommentCommand.Mentions(body, rule.Mention!)) return false;
        command = CommentCommand.ForMention(body, rule.Mention!);
        return true;
    }

    /// <summary>
    /// "pull_request" when the event is about a pull request (a pull_request* event, or an issue_comment on a
    /// pull request's conversation: GitHub marks its issue with "pull_request"), "issue" for other issue events, else null.
    /// </summary>
    public static string? SubjectOf(string eventType, JsonElement payload)
    {
        if (payload.TryGetProperty("pull_request", out var pr) && pr.ValueKind == JsonValueKind.Object) return "pull_request";
        if (!payload.TryGetProperty("issue", out var issue) || issue.ValueKind != JsonValueKind.Object) return null;
        return issue.TryGetProperty("pull_request", out var link) && link.ValueKind == JsonValueKind.Object ? "pull_request" : "issue";
    }

    /// <summary>The issue or pull request number the event is about (issue.number, pull_request.number, or a pull_request event's number).</summary>
    public static long? NumberOf(JsonElement payload)
    {
        foreach (var owner in new[] { "issue", "pull_request" })
            if (payload.TryGetProperty(owner, out var o) && o.ValueKind == JsonValueKind.Object && o.TryGetProperty("number", out var n) && n.ValueKind == JsonValueKind.Number && n.TryGetInt64(out var v)) return v;
        return payload.TryGetProperty("number", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetInt64(out var w) ? w : null;
    }
}
