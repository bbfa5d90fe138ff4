using Microsoft.AspNetCore.Http;

namespace AgentFactory.Ingest;

public static class RequestBody
{
    /// <summary>Initial buffer size at most: memory follows the bytes that arrive, not the Content-Length a client announces.</summary>
    private const int MaxInitialCapacity = 64 * 1024;

    /// <summary>The whole body, or null when it is larger than <paramref name="limit"/> (checked before and while reading).</summary>
    public static async Task<byte[]?> ReadAsync(HttpContext http, long limit)
    {
        if (http.Request.ContentLength > limit) return null;
        // Sizing the buffer from Content-Length let a few unsigned connections that announce 25 MB and then
        // trickle bytes reserve 25 MB each: OutOfMemoryException and 500s under a container's memory limit.
        using var buffer = new MemoryStream(http.Request.ContentLength is > 0 and var n ? (int)Math.Min(n, MaxInitialCapacity) : 4096);
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        return buffer.ToArray();
    }
}
