using System.Buffers;
using System.Security.Cryptography;
using System.Text;

// The ceiling of the web stack on this machine, for bench/run.sh ingest: Kestrel + minimal API, read the body,
// verify X-Hub-Signature-256 (HMAC-SHA256 of the body, constant-time compare), answer 202 or 401. No storage,
// no routing of events, no logging per request.
// Usage: BENCH_SECRET=... ASPNETCORE_URLS=http://127.0.0.1:PORT bare-hmac      POST /webhook/github
const int MaxBody = 25 * 1024 * 1024; // GitHub's payload cap

var secret = Environment.GetEnvironmentVariable("BENCH_SECRET");
if (string.IsNullOrEmpty(secret))
{
    await Console.Error.WriteLineAsync("BENCH_SECRET is not set");
    return 2;
}
var key = Encoding.UTF8.GetBytes(secret);

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();

app.MapPost("/webhook/github", async (HttpRequest request) =>
{
    // "sha256=" + 64 hex digits, decoded before the body is read.
    var header = request.Headers["X-Hub-Signature-256"].ToString();
    Span<byte> expected = stackalloc byte[32];
    if (header.Length != 71 || !header.StartsWith("sha256=", StringComparison.Ordinal)
        || Convert.FromHexString(header.AsSpan(7), expected, out _, out var written) != OperationStatus.Done || written != 32)
        return Results.StatusCode(401);
    var expectedCopy = expected.ToArray();

    using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
    var reader = request.BodyReader;
    long length = 0;
    while (true)
    {
        var read = await reader.ReadAsync();
        foreach (var segment in read.Buffer) hmac.AppendData(segment.Span);
        length += read.Buffer.Length;
        reader.AdvanceTo(read.Buffer.End);
        if (length > MaxBody) return Results.StatusCode(413);
        if (read.IsCompleted) break;
    }
    Span<byte> actual = stackalloc byte[32];
    hmac.GetHashAndReset(actual);
    return CryptographicOperations.FixedTimeEquals(actual, expectedCopy) ? Results.StatusCode(202) : Results.StatusCode(401);
});

await app.RunAsync();
return 0;
