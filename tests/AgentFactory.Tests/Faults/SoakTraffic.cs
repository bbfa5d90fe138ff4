using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFactory.Ingest;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// The soak's trickle: every step sends one signed delivery (mostly pushes, some releases) or one
/// manual job (succeeding, failing or timing out), to whichever service process is up. A delivery
/// that got no 2xx (the process was killed or not yet listening) is sent again later with the same
/// id and body, as an operator redelivers from GitHub's Recent Deliveries; a manual trigger that got
/// no answer is counted as in doubt (it has no id to deduplicate on).
/// </summary>
public sealed class SoakTraffic : IDisposable
{
    private static readonly string Push = Fixtures.Read("push", "push");
    private static readonly string Release = Fixtures.Read("release", "published");

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) }) { Timeout = TimeSpan.FromSeconds(15) };
    private readonly ConcurrentQueue<string> _redeliver = new();
    private int _step;

    /// <summary>The service to send to; null while none is up (then the trickle waits).</summary>
    public Uri? Target { get; set; }

    /// <summary>delivery id → event ("push" or "release"), for every delivery sent.</summary>
    public ConcurrentDictionary<string, string> Deliveries { get; } = new();

    /// <summary>delivery id → the last answer's status (0: none).</summary>
    public ConcurrentDictionary<string, int> LastStatus { get; } = new();

    /// <summary>Job ids the manual trigger acknowledged, with their job type.</summary>
    public ConcurrentDictionary<long, string> ManualJobs { get; } = new();

    /// <summary>Every answer's status, counted (0: no answer).</summary>
    public ConcurrentDictionary<int, int> Statuses { get; } = new();

    public int ManualInDoubt;
    public int Redelivered;

    public int Pending => _redeliver.Count;

    /// <summary>Sends one step every <paramref name="pace"/> until <paramref name="stop"/> fires.</summary>
    public async Task RunAsync(TimeSpan pace, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(pace, stop); } catch (OperationCanceledException) { return; }
            if (Target is not { } target) continue;
            if (_redeliver.TryDequeue(out var again)) await DeliverAsync(target, again, Deliveries[again], redelivery: true);
            var n = Interlocked.Increment(ref _step);
            // 20 steps: 12 pushes, 2 releases, 4 manual jobs that succeed, 1 that fails twice, 1 that times out.
            var task = (n % 20) switch
            {
                5 or 15 => DeliverAsync(target, $"soak-release-{n:D7}", "release", redelivery: false),
                3 or 9 or 13 or 19 => ManualAsync(target, "soak_ok"),
                7 => ManualAsync(target, "soak_fail"),
                17 => ManualAsync(target, "soak_timeout"),
                _ => DeliverAsync(target, $"soak-push-{n:D7}", "push", redelivery: false),
            };
            await task;
        }
    }

    /// <summary>After the trickle: redelivers what never got a 2xx until all have one (bounded).</summary>
    public async Task RedeliverRestAsync(Uri target, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (_redeliver.TryDequeue(out var id))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"deliveries still refused after {within.TotalSeconds:0} s: {Summary()}");
            await DeliverAsync(target, id, Deliveries[id], redelivery: true);
            if (LastStatus[id] is not (>= 200 and < 300)) await Task.Delay(200);
        }
    }

    public string Summary() => string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "no answer" : s.Key)}×{s.Value}"));

    private async Task DeliverAsync(Uri target, string id, string kind, bool redelivery)
    {
        Deliveries[id] = kind;
        if (redelivery) Interlocked.Increment(ref Redelivered);
        var body = Encoding.UTF8.GetBytes(BodyOf(id, kind));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(target, "/webhook/github")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-GitHub-Event", kind);
        request.Headers.Add("X-GitHub-Delivery", id);
        request.Headers.Add("X-GitHub-Hook-ID", "1");
        request.Headers.Add("X-Hub-Signature-256", WebhookSignature.Sign(FaultEnv.Secret, body));
        var status = await SendAsync(request);
        LastStatus[id] = status;
        if (status is not (>= 200 and < 300)) _redeliver.Enqueue(id);
    }

    private async Task ManualAsync(Uri target, string jobType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(target, "/webhook/manual"))
        { Content = new StringContent($"{{\"job_type\":\"{jobType}\"}}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", FaultEnv.Token);
        try
        {
            using var response = await _http.SendAsync(request);
            Statuses.AddOrUpdate((int)response.StatusCode, 1, (_, c) => c + 1);
            if ((int)response.StatusCode == 202)
            {
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                ManualJobs[doc.RootElement.GetProperty("job_id").GetInt64()] = jobType;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            Statuses.AddOrUpdate(0, 1, (_, c) => c + 1);
            Interlocked.Increment(ref ManualInDoubt); // it may or may not have been stored
        }
    }

    private async Task<int> SendAsync(HttpRequestMessage request)
    {
        int status;
        try
        {
            using var response = await _http.SendAsync(request);
            status = (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { status = 0; }
        Statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
        return status;
    }

    /// <summary>The recorded payload with the delivery id in it (every body differs, as GitHub's do); releases of <see cref="SoakWorld.Tag"/>.</summary>
    private static string BodyOf(string id, string kind)
    {
        var node = JsonNode.Parse(kind == "push" ? Push : Release)!;
        node["test_delivery"] = id;
        if (kind == "release") node["release"]!["tag_name"] = SoakWorld.Tag;
        return node.ToJsonString();
    }

    public void Dispose() => _http.Dispose();
}
