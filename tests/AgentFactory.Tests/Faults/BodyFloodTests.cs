using System.Collections.Concurrent;
using System.Net;
using AgentFactory.Ingest;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// Unauthenticated memory amplification, against the real webhook process in a container-sized heap
/// (DOTNET_GCHeapHardLimit = 256 MB). Before, 48 concurrent 25 MB bodies with a bogus
/// X-Hub-Signature-256 were each buffered whole: RSS went from 155 MB to a 1.68 GB peak on a big
/// host, and under the heap limit 36 of 48 got a 500 (OutOfMemoryException). Now the bodies in flight
/// share WEBHOOK_BODY_BUDGET_MB (64 MB by default): past it the answer is 503 with Retry-After, never
/// another 5xx, memory stays bounded, and signed deliveries sent afterwards are accepted.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class BodyFloodTests
{
    [Fact]
    public async Task Concurrent_25_MB_bodies_with_bogus_signatures_get_401_or_503_and_memory_stays_bounded()
    {
        var bodies = FaultScale.Pick(48, 192);
        using var dir = new TempDir();
        var env = FaultEnv.For(dir, FaultEnv.LogRouting); // WEBHOOK_FAILURE_LIMIT=0: every body is read, the budget alone holds them
        env["DOTNET_GCHeapHardLimit"] = "0x10000000";
        using var service = ServiceProcess.Start(dir.Path, "webhook", env, "webhook");
        await service.WaitListeningAsync();
        using var http = Load.Client(service.Url!);
        var legit = new DeliveryLog();
        for (var i = 0; i < 20; i++) await Load.SendAsync(http, $"warm-{i}", legit);

        var rssBefore = service.RssMb();
        var rssPeak = rssBefore;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested && !service.HasExited)
            {
                rssPeak = Math.Max(rssPeak, service.RssMb());
                try { await Task.Delay(50, sampling.Token); } catch (OperationCanceledException) { }
            }
        });

        var body = new byte[AgentFactory.Options.AgentFactoryOptions.MaxWebhookBodyBytes - 1024];
        Array.Fill(body, (byte)' ');
        var bogus = WebhookSignature.Sign("an-attackers-guess-0123456789", body);
        var statuses = new ConcurrentDictionary<int, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, bodies), new ParallelOptions { MaxDegreeOfParallelism = 48 }, async (i, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/github") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("X-GitHub-Event", "push");
            request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
            request.Headers.Add("X-Hub-Signature-256", bogus);
            int status;
            try
            {
                using var response = await http.SendAsync(request, ct);
                status = (int)response.StatusCode;
                if (status == 503) Assert.NotNull(response.Headers.RetryAfter);
            }
            catch (HttpRequestException) { status = 0; } // answered 503 and closed while the upload went on
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
        });
        await sampling.CancelAsync();
        await sampler;

        for (var i = 0; i < 20; i++) await Load.SendAsync(http, $"after-{i}", legit);
        string Statuses() => string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "closed mid-upload" : s.Key)}×{s.Value}"));
        FaultScale.Report("5b. body flood (sqlite, real webhook process, 256 MB heap)",
            $"{bodies} concurrent {body.Length / (1024 * 1024)} MB bodies with a bogus signature: {Statuses()}; RSS {rssBefore:0} MB before, {rssPeak:0} MB peak; " +
            $"{legit.Count(s => s == 202)}/{legit.Status.Count} signed deliveries accepted");

        Assert.False(service.HasExited, service.Output);
        Assert.DoesNotContain(statuses.Keys, s => s >= 500 && s != 503);
        Assert.DoesNotContain(statuses.Keys, s => s is >= 200 and < 300);
        Assert.True(statuses.GetValueOrDefault(503) + statuses.GetValueOrDefault(0) > 0, $"the flood never reached the budget: {Statuses()}");
        Assert.True(legit.Status.Values.All(s => s == 202), legit.Summary());
        // Coarse: the budget (64 MB) plus the joined copy and the runtime's slack, far below the 25 MB × N the bodies add up to.
        Assert.True(rssPeak - rssBefore < 320, $"RSS went from {rssBefore:0} MB to a peak of {rssPeak:0} MB ({Statuses()})");
        Assert.DoesNotContain("OutOfMemory", service.Output, StringComparison.Ordinal);
        using var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
