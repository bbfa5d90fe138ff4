using System.Globalization;
using System.Text.Json;
using AgentFactory.Jobs;

namespace AgentFactory.Queue;

/// <summary>Row formats both drivers share: the errors column (a JSON array of attempt errors) and its timestamps.</summary>
internal static class StoreRows
{
    /// <summary>Fixed-width ISO-8601 UTC ("2026-01-02T03:04:05.1234567Z"): sorts correctly as text.</summary>
    public static string Ts(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTs(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>[{"attempt":1,"at":"…","error":"…"}, …] → the attempt errors, oldest first.</summary>
    public static IReadOnlyList<AttemptError> ParseErrors(string json)
    {
        var list = new List<AttemptError>();
        using var doc = JsonDocument.Parse(json);
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            list.Add(new AttemptError(
                e.GetProperty("attempt").GetInt32(),
                ParseTs(e.GetProperty("at").GetString()!),
                e.GetProperty("error").GetString() ?? ""));
        }
        return list;
    }

    /// <summary>The state word the renew statements return ("held", "cancelled", "lost").</summary>
    public static LeaseState ParseLeaseState(string s) => s switch
    {
        "held" => LeaseState.Held,
        "cancelled" => LeaseState.Cancelled,
        _ => LeaseState.Lost,
    };
}
