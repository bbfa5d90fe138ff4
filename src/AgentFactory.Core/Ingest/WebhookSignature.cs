using System.Security.Cryptography;
using System.Text;

namespace AgentFactory.Ingest;

public enum SignatureResult
{
    Valid,
    Missing,
    Malformed,
    Mismatch,
}

/// <summary>
/// GitHub's X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body with the webhook
/// secret. Compared in constant time; several secrets may be active at once (rotation).
/// </summary>
public static class WebhookSignature
{
    private const string Prefix = "sha256=";

    public static SignatureResult Verify(string? header, IReadOnlyList<byte[]> secrets, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(header)) return SignatureResult.Missing;
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || header.Length != Prefix.Length + 64)
            return SignatureResult.Malformed;

        Span<byte> expected = stackalloc byte[32];
        try
        {
            if (Convert.FromHexString(header.AsSpan(Prefix.Length), expected, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
                return SignatureResult.Malformed;
        }
        catch (FormatException)
        {
            return SignatureResult.Malformed;
        }

        Span<byte> actual = stackalloc byte[32];
        var match = false;
        foreach (var secret in secrets)
        {
            HMACSHA256.HashData(secret, body, actual);
            // Every secret is checked, so timing does not reveal which one matched.
            match |= CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        return match ? SignatureResult.Valid : SignatureResult.Mismatch;
    }

    /// <summary>The header value GitHub would send for this body (used by tests, the CLI and the benchmark).</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
