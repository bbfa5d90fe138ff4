using System.Globalization;
using System.Text.Json;

namespace AgentFactory.Agents.CodeReview;

/// <summary>What the model's reply gave: a summary and findings, or (<see cref="Structured"/> false) its text as the summary.</summary>
public sealed record ModelReview(string Summary, IReadOnlyList<ReviewFinding> Findings, bool Structured);

/// <summary>
/// The reply format the review prompt asks for, and a forgiving reader of it: the JSON object may sit
/// in a ```json fence or among prose, "findings" may be the whole reply, line numbers may be strings.
/// A reply that holds no such JSON becomes one summary, never an error. Findings without a message are
/// skipped; at most <see cref="MaxFindings"/> are kept, each message cut at <see cref="MaxMessageChars"/>.
/// </summary>
public static class ModelFindings
{
    public const int MaxFindings = 50;
    public const int MaxMessageChars = 2000;

    public const string Format =
        "Reply with one JSON object and nothing else, in this shape: " +
        "{\"summary\": \"two to five sentences of Markdown on the change as a whole\", \"findings\": [{\"file\": \"path/as/shown\", " +
        "\"line\": 12, \"severity\": \"error|warning|info\", \"message\": \"what is wrong and what to do\"}]}. " +
        "\"line\" is the line number in the new version of the file (the + side of the diff); leave it out for a finding on " +
        "the whole file. error: a bug, a security problem or a breaking change; warning: risky or likely wrong; info: a " +
        "suggestion. An empty \"findings\" list is fine when the change looks right.";

    public static ModelReview Parse(string reply)
    {
        foreach (var candidate in Candidates(reply))
        {
            try
            {
                using var doc = JsonDocument.Parse(candidate, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Array) return new ModelReview("", Findings(root), true);
                if (root.ValueKind != JsonValueKind.Object) continue;
                var summary = Text(root, "summary") ?? Text(root, "overview") ?? "";
                var findings = root.TryGetProperty("findings", out var list) && list.ValueKind == JsonValueKind.Array ? Findings(list) : [];
                if (summary.Length == 0 && findings.Count == 0 && !root.TryGetProperty("findings", out _)) continue;
                return new ModelReview(summary, findings, true);
            }
            catch (JsonException)
            {
                // Not JSON: try the next candidate, then fall back to the text.
            }
        }
        return new ModelReview(reply.Trim(), [], false);
    }

    /// <summary>The whole reply, the inside of a ```json fence, and the span from the first "{" (or "[") to the last "}" (or "]").</summary>
    private static IEnumerable<string> Candidates(string reply)
    {
        var text = reply.Trim();
        yield return text;
        var fence = text.IndexOf("```", StringComparison.Ordinal);
        if (fence >= 0)
        {
            var start = text.IndexOf('\n', fence);
            var end = start < 0 ? -1 : text.IndexOf("```", start, StringComparison.Ordinal);
            if (end > start) yield return text[(start + 1)..end];
        }
        foreach (var (open, close) in new[] { ('{', '}'), ('[', ']') })
        {
            var first = text.IndexOf(open, StringComparison.Ordinal);
            var last = text.LastIndexOf(close);
            if (first >= 0 && last > first) yield return text[first..(last + 1)];
        }
    }

    private static List<ReviewFinding> Findings(JsonElement list)
    {
        var findings = new List<ReviewFinding>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) continue;
            var message = Text(item, "message") ?? Text(item, "comment") ?? Text(item, "body");
            if (string.IsNullOrWhiteSpace(message)) continue;
            if (message.Length > MaxMessageChars) message = message[..MaxMessageChars] + "…";
            var path = (Text(item, "file") ?? Text(item, "path") ?? "").Trim().TrimStart('/');
            if (path.StartsWith("b/", StringComparison.Ordinal)) path = path[2..];
            var severity = ReviewSeverities.Parse(Text(item, "severity")) ?? ReviewSeverity.Warning;
            findings.Add(new ReviewFinding(path, Line(item), severity, message.Trim(), "model"));
            if (findings.Count == MaxFindings) break;
        }
        return findings;
    }

    private static int? Line(JsonElement item)
    {
        if (!item.TryGetProperty("line", out var line)) return null;
        if (line.ValueKind == JsonValueKind.Number && line.TryGetInt32(out var n) && n > 0) return n;
        if (line.ValueKind == JsonValueKind.String && int.TryParse(line.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0) return s;
        return null;
    }

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
