using System.Security.Cryptography;
using System.Text;
using AgentFactory.Ingest;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Ingest;

/// <summary>A request body read in budgeted chunks: what it holds while read, when it stops, and that it gives everything back.</summary>
public sealed class RequestBodyTests
{
    private const int Chunk = 32 * 1024;

    private static DefaultHttpContext Request(Stream body, long? announced = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Body = body;
        http.Request.ContentLength = announced;
        return http;
    }

    private static byte[] Data(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7 % 251))];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData(3 * Chunk + 123)]
    public async Task A_body_is_read_whole_and_its_budget_given_back_on_dispose(int length)
    {
        var budget = new BodyBudget(16 * Chunk);
        var data = Data(length);
        using (var body = await RequestBody.ReadAsync(Request(new MemoryStream(data), length), 10 * Chunk, budget, suspect: false))
        {
            Assert.Equal(BodyStatus.Read, body.Status);
            Assert.Equal(length, body.Length);
            Assert.Equal((length / Chunk + 1) * (long)Chunk, budget.Used); // whole chunks while it is in pieces
            Assert.Equal(data, body.Bytes);
            Assert.Same(body.Bytes, body.Bytes);
            Assert.Equal(length, budget.Used); // then only the joined copy
        }
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task Every_byte_goes_through_the_signature_check_as_it_arrives()
    {
        var data = Data(2 * Chunk + 5);
        var header = WebhookSignature.Sign("It's a Secret to Everybody", data);
        var (check, _) = WebhookSignatureCheck.Start(header, [Encoding.UTF8.GetBytes("It's a Secret to Everybody")]);
        using (check)
        using (var body = await RequestBody.ReadAsync(Request(new TrickleStream(data, 1000)), 10 * Chunk, new BodyBudget(16 * Chunk), false, check))
        {
            Assert.Equal(BodyStatus.Read, body.Status);
            Assert.Equal(SignatureResult.Valid, check!.Finish());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), check.BodySha256);
            Assert.Equal(data, body.Bytes);
        }
    }

    [Fact]
    public async Task An_announced_length_over_the_limit_is_refused_without_reading()
    {
        var budget = new BodyBudget(16 * Chunk);
        var stream = new TrickleStream(Data(10), 10);
        using var body = await RequestBody.ReadAsync(Request(stream, 101), 100, budget, suspect: false);
        Assert.Equal(BodyStatus.TooLarge, body.Status);
        Assert.Equal(0, stream.Reads);
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task A_body_announced_at_exactly_the_limit_is_read()
    {
        using var body = await RequestBody.ReadAsync(Request(new MemoryStream(Data(100)), 100), 100, new BodyBudget(16 * Chunk), suspect: false);
        Assert.Equal(BodyStatus.Read, body.Status);
        Assert.Equal(100, body.Length);
    }

    [Theory]
    [InlineData(100, BodyStatus.TooLarge)]
    [InlineData(101, BodyStatus.Read)]
    public async Task A_body_that_announced_no_length_is_cut_at_the_limit_as_it_arrives(int limit, BodyStatus status)
    {
        var budget = new BodyBudget(16 * Chunk);
        using (var body = await RequestBody.ReadAsync(Request(new MemoryStream(Data(101))), limit, budget, suspect: false))
            Assert.Equal(status, body.Status);
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task A_body_larger_than_the_budget_left_is_refused_and_its_chunks_given_back()
    {
        var budget = new BodyBudget(2 * Chunk);
        using (var body = await RequestBody.ReadAsync(Request(new MemoryStream(Data(2 * Chunk + 1))), 10 * Chunk, budget, suspect: false))
            Assert.Equal(BodyStatus.OverBudget, body.Status);
        Assert.Equal(0, budget.Used);
        using var fits = await RequestBody.ReadAsync(Request(new MemoryStream(Data(Chunk))), 10 * Chunk, budget, suspect: false);
        Assert.Equal(BodyStatus.Read, fits.Status);
    }

    [Fact]
    public async Task A_throttled_client_gets_only_its_share_of_the_budget()
    {
        var budget = new BodyBudget(8 * Chunk); // suspects share 2 chunks
        using (var suspect = await RequestBody.ReadAsync(Request(new MemoryStream(Data(2 * Chunk + 1))), 10 * Chunk, budget, suspect: true))
            Assert.Equal(BodyStatus.OverBudget, suspect.Status);
        Assert.Equal(0, budget.Used);
        using (var small = await RequestBody.ReadAsync(Request(new MemoryStream(Data(Chunk))), 10 * Chunk, budget, suspect: true))
            Assert.Equal(BodyStatus.Read, small.Status);
        using (var other = await RequestBody.ReadAsync(Request(new MemoryStream(Data(2 * Chunk + 1))), 10 * Chunk, budget, suspect: false))
            Assert.Equal(BodyStatus.Read, other.Status);
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task Kestrels_own_size_limit_counts_as_too_large()
    {
        var budget = new BodyBudget(16 * Chunk);
        using (var body = await RequestBody.ReadAsync(Request(new FailingStream(new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge))), 10 * Chunk, budget, false))
            Assert.Equal(BodyStatus.TooLarge, body.Status);
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task A_client_that_goes_away_mid_body_leaves_nothing_held()
    {
        var budget = new BodyBudget(16 * Chunk);
        await Assert.ThrowsAsync<BadHttpRequestException>(() =>
            RequestBody.ReadAsync(Request(new FailingStream(new BadHttpRequestException("unexpected end", StatusCodes.Status400BadRequest))), 10 * Chunk, budget, false));
        Assert.Equal(0, budget.Used);
        await Assert.ThrowsAsync<IOException>(() => RequestBody.ReadAsync(Request(new FailingStream(new IOException("reset"))), 10 * Chunk, budget, false));
        Assert.Equal(0, budget.Used);
    }

    /// <summary>Hands out at most <paramref name="piece"/> bytes per read, as a network does.</summary>
    private sealed class TrickleStream(byte[] data, int piece) : MemoryStream(data)
    {
        public int Reads { get; private set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            Reads++;
            return base.ReadAsync(buffer[..Math.Min(piece, buffer.Length)], ct);
        }
    }

    /// <summary>Sends a few bytes, then fails the way the connection did.</summary>
    private sealed class FailingStream(Exception failure) : MemoryStream(new byte[10])
    {
        private bool _sent;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_sent) throw failure;
            _sent = true;
            return base.ReadAsync(buffer, ct);
        }
    }
}
