using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentFactory.Jobs;

namespace AgentFactory.Routing;

/// <summary>
/// A job type's "concurrency" setting: <c>{ "key": "{{repository.full_name}}#{{pull_request.number}}", "mode": "supersede" }</c>.
/// The key is rendered from the job's payload when the job is queued. A payload value is data: it is
/// copied into the key as plain text (never interpreted, never part of a statement) and the key is
/// bounded, so a hostile payload can neither inject nor bloat the index.
/// </summary>
public sealed class ConcurrencySettings
{
    /// <summary>Text with at least one {{dotted.path}} placeholder into the payload.</summary>
    public string Key { get; set; } = "";

    /// <summary>"supersede", "serialize" or "skip".</summary>
    public string Mode { get; set; } = "";
}

public static partial class ConcurrencyKeyTemplate
{
    /// <summary>Longest key stored as rendered; a longer one is stored as its SHA-256, so distinct keys never merge.</summary>
    public const int MaxKeyLength = 200;

    public const int MaxTemplateLength = 500;

    public const string AcceptedModes = "\"supersede\", \"serialize\" or \"skip\"";

    /// <summary>What is wrong with the setting of <paramref name="jobType"/>, each naming the setting; empty when nothing.</summary>
    public static IEnumerable<string> Problems(string jobType, ConcurrencySettings s)
    {
        var prefix = $"jobs.{jobType}.concurrency";
        if (!JobConcurrency.TryParseMode(s.Mode, out _))
            yield return $"{prefix}.mode is '{s.Mode}'; use {AcceptedModes}.";
        if (string.IsNullOrWhiteSpace(s.Key) || s.Key.Length > MaxTemplateLength)
        {
            yield return $"{prefix}.key must be text of at most {MaxTemplateLength} characters naming payload fields, e.g. \"{{{{repository.full_name}}}}#{{{{pull_request.number}}}}\".";
            yield break;
        }
        var stripped = Placeholder().Replace(s.Key, "");
        if (!Placeholder().IsMatch(s.Key))
            yield return $"{prefix}.key '{s.Key}' references no payload field, so every job would share one key; name at least one, e.g. \"{{{{repository.full_name}}}}#{{{{pull_request.number}}}}\".";
        else if (stripped.Contains("{{", StringComparison.Ordinal) || stripped.Contains("}}", StringComparison.Ordinal))
            yield return $"{prefix}.key '{s.Key}' has a placeholder that is not a payload field path; write fields as {{{{dotted.path}}}} with letters, digits, '_' or '-', e.g. {{{{pull_request.number}}}}.";
    }

    /// <summary>
    /// The job's key and mode for <paramref name="payload"/>, or null when the type has no concurrency
    /// setting or a field the key names is missing (or not a string, number or boolean) in this payload:
    /// such a job is not grouped with any other.
    /// </summary>
    public static JobConcurrency? For(ConcurrencySettings? settings, JsonElement payload)
    {
        if (settings is null || !JobConcurrency.TryParseMode(settings.Mode, out var mode)) return null;
        var missing = false;
        var key = Placeholder().Replace(settings.Key, m =>
        {
            var value = Value(payload, m.Groups[1].Value);
            missing |= value is null;
            return value ?? "";
        });
        return missing ? null : new JobConcurrency(Bounded(key), mode);
    }

    /// <summary>Parses <paramref name="payloadJson"/> first; a payload that is not a JSON object gets no key.</summary>
    public static JobConcurrency? For(ConcurrencySettings? settings, string payloadJson)
    {
        if (settings is null) return null;
        try
        {
            using var doc = JsonDocument.Parse(payloadJson);
            return For(settings, doc.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Value(JsonElement e, string dottedPath)
    {
        foreach (var part in dottedPath.Split('.'))
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e)) return null;
        return e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
            _ => null,
        };
    }

    /// <summary>Control characters become '?'; a key over <see cref="MaxKeyLength"/> becomes "sha256:" and its hash.</summary>
    private static string Bounded(string key)
    {
        var clean = string.Create(key.Length, key, (span, k) =>
        {
            for (var i = 0; i < k.Length; i++) span[i] = char.IsControl(k[i]) ? '?' : k[i];
        });
        return clean.Length <= MaxKeyLength ? clean : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(clean)));
    }

    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)\s*\}\}")]
    private static partial Regex Placeholder();
}
