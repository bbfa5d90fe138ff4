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
        Span<byte> expected = stackalloc byte[32];
        if (Parse(header, expected) is var format and not SignatureResult.Valid) return format;

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

    /// <summary>Valid when <paramref name="header"/> is "sha256=" and 64 hex digits (written to <paramref name="expected"/>), else Missing or Malformed.</summary>
    internal static SignatureResult Parse(string? header, Span<byte> expected)
    {
        if (string.IsNullOrEmpty(header)) return SignatureResult.Missing;
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || header.Length != Prefix.Length + 64)
            return SignatureResult.Malformed;
        // Exactly 64 characters: they fill the 32 bytes when all are hex digits; otherwise the status is not Done.
        return Convert.FromHexString(header.AsSpan(Prefix.Length), expected, out _, out _) == System.Buffers.OperationStatus.Done
            ? SignatureResult.Valid : SignatureResult.Malformed;
    }

    /// <summary>The header value GitHub would send for this body (used by tests, the CLI and the benchmark).</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}

/// <summary>
/// <see cref="WebhookSignature.Verify"/> over a body that arrives in pieces: each piece goes through
/// the HMAC of every active secret as it is read (nothing needs the whole body to decide), and
/// through SHA-256 for the delivery's body hash. <see cref="Start"/> decides Missing and Malformed
/// from the header alone, before any of the body is read.
/// </summary>
public sealed class WebhookSignatureCheck : IDisposable
{
    private readonly byte[] _expected;
    private readonly IncrementalHash[] _macs;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    private WebhookSignatureCheck(byte[] expected, IReadOnlyList<byte[]> secrets)
    {
        _expected = expected;
        _macs = [.. secrets.Select(s => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, s))];
    }

    /// <summary>The body's SHA-256 in lower-case hex, once <see cref="Finish"/> has run.</summary>
    public string? BodySha256 { get; private set; }

    /// <summary>A check to feed the body to, or null and why the header alone is refused.</summary>
    public static (WebhookSignatureCheck? Check, SignatureResult Result) Start(string? header, IReadOnlyList<byte[]> secrets)
    {
        var expected = new byte[32];
        var format = WebhookSignature.Parse(header, expected);
        return format == SignatureResult.Valid ? (new WebhookSignatureCheck(expected, secrets), format) : (null, format);
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        foreach (var mac in _macs) mac.AppendData(data);
        _sha256.AppendData(data);
    }

    /// <summary>Valid or Mismatch; every secret is compared, so timing does not reveal which one matched.</summary>
    public SignatureResult Finish()
    {
        Span<byte> actual = stackalloc byte[32];
        var match = false;
        foreach (var mac in _macs)
        {
            mac.GetHashAndReset(actual);
            match |= CryptographicOperations.FixedTimeEquals(actual, _expected);
        }
        _sha256.GetHashAndReset(actual);
        BodySha256 = Convert.ToHexStringLower(actual);
        return match ? SignatureResult.Valid : SignatureResult.Mismatch;
    }

    public void Dispose()
    {
        // Stryker disable once Statement : frees the HMAC keys' handles; the SHA-256 beside them is disposed too, so a disposed check fails alike either way.
        foreach (var mac in _macs) mac.Dispose();
        _sha256.Dispose();
    }
}
