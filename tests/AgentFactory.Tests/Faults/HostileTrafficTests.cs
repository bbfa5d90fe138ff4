using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AgentFactory.Ingest;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// Scenario 5: thousands of malformed, mis-signed and oversized requests plus slowloris connections
/// (headers byte by byte; a body far below Kestrel's minimum data rate) against the real webhook
/// process. No job, no 5xx, no crash; Kestrel closes the slow connections; memory stays bounded; and
/// correctly signed deliveries sent meanwhile are all accepted. The service runs with a 256 MB heap
/// limit, as in a small container, so memory a request merely announces cannot hide behind a big host.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class HostileTrafficTests
{
    [Fact]
    public async Task Hostile_requests_and_slowloris_connections_make_no_job_no_5xx_and_legitimate_deliveries_get_through()
    {
        var hostile = FaultScale.Pick(2_000, 10_000);
        var slowHeaders = FaultScale.Pick(10, 100);
        var slowBodies = FaultScale.Pick(20, 100);
        using var dir = new TempDir();
        var env = FaultEnv.For(dir, FaultEnv.LogRouting);
        // A container-sized heap (256 MB, as under a ~350 MB memory limit): what a client merely announces must not count against it.
        env["DOTNET_GCHeapHardLimit"] = "0x10000000";
        using var service = ServiceProcess.Start(dir.Path, "webhook", env, "webhook");
        await service.WaitListeningAsync();
        using var http = Load.Client(service.Url!);

        var legit = new DeliveryLog();
        for (var i = 0; i < 20; i++) await Load.SendAsync(http, $"warm-{i}", legit); // JIT and pools warmed before the baseline
        var rssBefore = service.RssMb();
        var rssPeak = rssBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested && !service.HasExited)
            {
                rssPeak = Math.Max(rssPeak, service.RssMb());
                try { await Task.Delay(100, sampling.Token); } catch (OperationCanceledException) { }
            }
        });

        var slow = Enumerable.Range(0, slowHeaders).Select(_ => Slowloris.HeadersByteByByteAsync(service.Url!))
            .Concat(Enumerable.Range(0, slowBodies).Select(_ => Slowloris.BodyTooSlowAsync(service.Url!))).ToList();

        var statuses = new ConcurrentDictionary<int, int>();
        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, hostile), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            if (i % 20 == 0) await Load.SendAsync(http, $"legit-{i}", legit); // a real delivery in the middle of it all
            using var request = Hostile.Request(new Random(i), i);
            int status;
            try
            {
                using var response = await http.SendAsync(request, ct);
                status = (int)response.StatusCode;
            }
            catch (HttpRequestException) { status = 0; } // the server may close an oversized upload before reading it all
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
        });
        var hostileSeconds = sw.Elapsed.TotalSeconds;

        var slowResults = await Task.WhenAll(slow);
        await sampling.CancelAsync();
        await sampler;
        // Once the slow connections are gone, a full GC would return what they held; RSS is what the OS sees now.
        var rssAfter = service.RssMb();

        var jobs = await StoredDeliveries.Sqlite(Path.Combine(dir.File("data"), "agentfactory.db")).ReadAsync();
        string Statuses() => string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "closed mid-upload after the 413" : s.Key)}×{s.Value}"));
        FaultScale.Report("5. hostile traffic (sqlite, real webhook process)",
            $"{hostile} malformed/mis-signed/oversized requests in {hostileSeconds:0.0} s ({Statuses()}); {slowHeaders} header and {slowBodies} body slowloris " +
            $"connections, all closed by the server after {slowResults.Min(r => r.Seconds):0.0}–{slowResults.Max(r => r.Seconds):0.0} s " +
            $"(answers: {string.Join(", ", slowResults.GroupBy(r => r.Answer).Select(g => $"{g.Key}×{g.Count()}"))}); " +
            $"{legit.Count(s => s == 202)}/{legit.Status.Count} legitimate deliveries accepted meanwhile; jobs {jobs.Count}; " +
            $"RSS {rssBefore:0} MB before, {rssPeak:0} MB peak, {rssAfter:0} MB after");

        Assert.False(service.HasExited, service.Output);
        Assert.DoesNotContain(statuses.Keys, s => s >= 500);
        Assert.True(legit.Status.Values.All(s => s == 202), legit.Summary());
        Assert.Equal(legit.Status.Count, jobs.Count); // only the legitimate deliveries became jobs
        Assert.All(slowResults, r => Assert.False(r.Answer.StartsWith('5'), r.Answer));
        Assert.True(rssPeak - rssBefore < 256, $"RSS went from {rssBefore:0} MB to a peak of {rssPeak:0} MB");
        using var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    /// <summary>Raw-socket clients that are too slow on purpose. Each returns once the server closed the connection.</summary>
    private static class Slowloris
    {
        public sealed record Result(double Seconds, string Answer);

        /// <summary>A request line and headers sent one byte every 200 ms: Kestrel's RequestHeadersTimeout (10 s) ends it.</summary>
        public static Task<Result> HeadersByteByByteAsync(Uri url) => RunAsync(url, Encoding.ASCII.GetBytes(
            "POST /webhook/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nX-Padding: " + new string('a', 4000) + "\r\n"), [], TimeSpan.FromMilliseconds(200));

        /// <summary>Complete headers announcing a 25 MB body, then one byte a second: below Kestrel's minimum body data rate.</summary>
        public static Task<Result> BodyTooSlowAsync(Uri url) => RunAsync(url, Encoding.ASCII.GetBytes(
            "POST /webhook/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: slow\r\n" +
            "X-Hub-Signature-256: sha256=" + new string('0', 64) + "\r\nContent-Length: 26214400\r\n\r\n{"), Encoding.ASCII.GetBytes(new string(' ', 600)), TimeSpan.FromSeconds(1), prefixAtOnce: true);

        private static async Task<Result> RunAsync(Uri url, byte[] head, byte[] trickle, TimeSpan interval, bool prefixAtOnce = false)
        {
            var sw = Stopwatch.StartNew();
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, url.Port);
            var stream = client.GetStream();
            var answer = new StringBuilder();
            var reading = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                try
                {
                    int n;
                    while ((n = await stream.ReadAsync(buffer)) > 0) answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                catch (IOException) { } // reset by the server: closed too
            });
            var bytes = prefixAtOnce ? trickle : [.. head, .. trickle];
            if (prefixAtOnce) await stream.WriteAsync(head);
            var deadline = FaultScale.Deadline;
            try
            {
                foreach (var b in bytes)
                {
                    if (reading.IsCompleted) break;
                    if (sw.Elapsed > deadline) Assert.Fail("the server kept a slowloris connection open");
                    await stream.WriteAsync(new[] { b });
                    await Task.WhenAny(reading, Task.Delay(interval));
                }
            }
            catch (IOException) { } // the server closed the connection while we wrote
            if (await Task.WhenAny(reading, Task.Delay(deadline)) != reading) Assert.Fail("the server kept a slowloris connection open");
            var text = answer.ToString();
            var status = text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? text[9..12] : "closed without an answer";
            return new Result(sw.Elapsed.TotalSeconds, status);
        }
    }

    /// <summary>Seeded hostile requests: malformed bodies and headers, wrong and missing signatures, oversized bodies.</summary>
    private static class Hostile
    {
        private static readonly byte[] Push = Encoding.UTF8.GetBytes(Fixtures.Read("push", "push"));

        public static HttpRequestMessage Request(Random r, int i)
        {
            byte[] body = (i % 500 == 7) ? new byte[AgentFactory.Options.AgentFactoryOptions.MaxWebhookBodyBytes + 1] : (r.Next(6)) switch
            {
                0 => RandomBytes(r, r.Next(0, 8192)),
                1 => Push[..r.Next(0, Push.Length - 1)],
                2 => Encoding.UTF8.GetBytes(new string('[', 10_000) + new string(']', 10_000)),
                3 => Encoding.UTF8.GetBytes("{\"ref\":{\"x\":1},\"repository\":5,\"action\":[]}"),
                4 => Encoding.UTF8.GetBytes("payload=%ZZ%" + new string('%', 100)),
                _ => Push,
            };
            var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = new ByteArrayContent(body) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", r.Next(4) switch { 0 => "text/plain", 1 => "application/x-www-form-urlencoded", _ => "application/json" });
            if (r.Next(8) > 0) request.Headers.TryAddWithoutValidation("X-GitHub-Event", r.Next(3) == 0 ? "push\u0001" : "push");
            if (r.Next(8) > 0) request.Headers.TryAddWithoutValidation("X-GitHub-Delivery", r.Next(4) == 0 ? new string('d', 5000) : Guid.NewGuid().ToString());
            request.Headers.TryAddWithoutValidation("X-GitHub-Hook-ID", "1");
            switch (r.Next(4))
            {
                case 0: break; // unsigned
                case 1: request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", "sha256=" + Convert.ToHexString(RandomBytes(r, 32)).ToLowerInvariant()); break;
                case 2: request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", WebhookSignature.Sign("an-attackers-guess-0123456789", body)); break;
                default:
                    // Correctly signed but broken in some other way (body or headers), so it reaches the parser.
                    // A signed JSON object with good headers is a legitimate delivery: break its headers instead.
                    if (ReferenceEquals(body, Push) || body is [(byte)'{', ..]) request.Headers.Remove("X-GitHub-Delivery");
                    request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", WebhookSignature.Sign(FaultEnv.Secret, body));
                    break;
            }
            return request;
        }

        private static byte[] RandomBytes(Random r, int n)
        {
            var bytes = new byte[n];
            r.NextBytes(bytes);
            return bytes;
        }
    }
}
