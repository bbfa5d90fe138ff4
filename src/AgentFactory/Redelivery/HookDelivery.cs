namespace AgentFactory.Redelivery;

/// <summary>
/// One attempt from GET …/hooks/{id}/deliveries, as GitHub documents it. A redelivery is listed as
/// a new attempt with redelivery = true and the same guid (the X-GitHub-Delivery header).
/// Settable properties: Octokit's serializer fills them from the snake_case JSON.
/// </summary>
public sealed class HookDelivery
{
    public long Id { get; set; }
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "GitHub's field name, read by Octokit's serializer")]
    public string Guid { get; set; } = "";
    public DateTimeOffset DeliveredAt { get; set; }
    public bool Redelivery { get; set; }
    public double Duration { get; set; }
    public string Status { get; set; } = "";
    public int StatusCode { get; set; }
    public string Event { get; set; } = "";
    public string? Action { get; set; }
    public long? InstallationId { get; set; }
    public long? RepositoryId { get; set; }

    /// <summary>GitHub got a 2xx and calls it OK.</summary>
    public bool Succeeded => StatusCode is >= 200 and < 300 && string.Equals(Status, "OK", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A delivery to redeliver: the newest attempt of its guid, and why.</summary>
public sealed record MissedDelivery(HookDelivery Latest, int Attempts, string Reason);

/// <summary>
/// Which deliveries to redeliver, decided per guid (each guid at most once):
/// skip when the guid is stored in webhook_events; skip when a redelivery of it already got a 2xx
/// (asking again would loop if something other than this service answers); otherwise it is missed —
/// every attempt failed, or GitHub's original attempt got a 2xx that never reached the store.
/// </summary>
public static class MissedDeliveries
{
    public static IReadOnlyList<MissedDelivery> Select(IEnumerable<HookDelivery> deliveries, IReadOnlySet<string> stored)
    {
        var missed = new List<MissedDelivery>();
        foreach (var attempts in deliveries.GroupBy(d => d.Guid, StringComparer.Ordinal))
        {
            if (attempts.Key.Length == 0 || stored.Contains(attempts.Key)) continue;
            if (attempts.Any(a => a.Redelivery && a.Succeeded)) continue;
            var latest = attempts.MaxBy(a => (a.DeliveredAt, a.Id))!;
            var reason = attempts.Any(a => a.Succeeded)
                ? "GitHub got a 2xx answer but the delivery is not stored"
                : $"{(latest.StatusCode == 0 ? "no HTTP answer" : latest.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture))} ({latest.Status})";
            missed.Add(new MissedDelivery(latest, attempts.Count(), reason));
        }
        return [.. missed.OrderBy(m => m.Latest.DeliveredAt)];
    }
}
