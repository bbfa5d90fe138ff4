using System.Buffers;

namespace AgentFactory.Ingest;

public enum BodyStatus
{
    Read,
    /// <summary>Larger than the endpoint's limit (announced or as it arrived).</summary>
    TooLarge,
    /// <summary>The bodies in flight already hold the whole <see cref="BodyBudget"/>.</summary>
    OverBudget,
}

/// <summary>
/// A request body held in pooled chunks, taken from the <see cref="BodyBudget"/> as it arrived and
/// given back on Dispose. <see cref="Bytes"/> joins the chunks only when someone needs the whole body
/// (a mis-signed one is refused without that copy).
/// </summary>
public sealed class RequestBody : IDisposable
{
    private const int ChunkSize = 32 * 1024;

    private readonly BodyBudget _budget;
    private readonly bool _suspect;
    private readonly List<byte[]> _chunks = [];
    private long _taken;
    private byte[]? _bytes;

    private RequestBody(BodyBudget budget, bool suspect)
    {
        _budget = budget;
        _suspect = suspect;
    }

    public BodyStatus Status { get; private set; }

    public long Length { get; private set; }

    public byte[] Bytes => _bytes ??= Join();

    /// <summary>
    /// Reads the body, feeding each piece to <paramref name="check"/> as it arrives. Stops at
    /// <paramref name="limit"/> (checked against Content-Length before reading) and when the budget is spent.
    /// </summary>
    /// <param name="suspect">The client is throttled for bad requests: it may use only its share of the budget.</param>
    public static async Task<RequestBody> ReadAsync(HttpContext http, long limit, BodyBudget budget, bool suspect, WebhookSignatureCheck? check = null)
    {
        var body = new RequestBody(budget, suspect);
        try
        {
            if (http.Request.ContentLength > limit) return body.End(BodyStatus.TooLarge);
            while (true)
            {
                var chunk = body.LastChunkWithRoom();
                if (chunk is null) return body.End(BodyStatus.OverBudget);
                var filled = (int)(body.Length % ChunkSize);
                var read = await http.Request.Body.ReadAsync(chunk.AsMemory(filled), http.RequestAborted);
                if (read == 0) return body.End(BodyStatus.Read);
                if (body.Length + read > limit) return body.End(BodyStatus.TooLarge);
                check?.Append(chunk.AsSpan(filled, read));
                body.Length += read;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return body.End(BodyStatus.TooLarge);
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    /// <summary>The chunk to read into next: the last one while it has room, else a new one from the budget (null when spent).</summary>
    private byte[]? LastChunkWithRoom()
    {
        // Stryker disable once Equality : with no chunk, Length < 0 × ChunkSize is false anyway.
        if (_chunks.Count > 0 && Length < (long)_chunks.Count * ChunkSize) return _chunks[^1];
        if (!_budget.TryTake(ChunkSize, _suspect)) return null;
        _taken += ChunkSize;
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
        _chunks.Add(chunk);
        return chunk;
    }

    private RequestBody End(BodyStatus status)
    {
        Status = status;
        // Stryker disable once Statement : chunks go back to the shared pool early; Dispose returns them otherwise, and the pool is not observable.
        if (status != BodyStatus.Read) ReturnChunks();
        return this;
    }

    private byte[] Join()
    {
        var bytes = GC.AllocateUninitializedArray<byte>((int)Length);
        var offset = 0;
        foreach (var chunk in _chunks)
        {
            var n = (int)Math.Min(ChunkSize, Length - offset);
            chunk.AsSpan(0, n).CopyTo(bytes.AsSpan(offset));
            offset += n;
        }
        // The joined copy is what stays: the budget keeps holding its size until Dispose.
        var keep = Math.Min(_taken, Length);
        // Stryker disable once Statement : returning rented arrays to the shared pool is not observable.
        foreach (var chunk in _chunks) ArrayPool<byte>.Shared.Return(chunk);
        _chunks.Clear();
        _budget.Return(_taken - keep, _suspect);
        _taken = keep;
        return bytes;
    }

    private void ReturnChunks()
    {
        // Stryker disable once Statement : returning rented arrays to the shared pool is not observable.
        foreach (var chunk in _chunks) ArrayPool<byte>.Shared.Return(chunk);
        _chunks.Clear();
    }

    public void Dispose()
    {
        // Stryker disable once Statement : returning rented arrays to the shared pool is not observable.
        ReturnChunks();
        _budget.Return(_taken, _suspect);
        _taken = 0;
    }
}
