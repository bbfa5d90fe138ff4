using System.Security.Cryptography;
using System.Text;
using AgentFactory.Ingest;

namespace AgentFactory.Tests.Ingest;

public sealed class WebhookSignatureTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("Hello, World!");
    private static byte[][] Secrets(params string[] s) => [.. s.Select(Encoding.UTF8.GetBytes)];

    [Fact]
    public void GitHubs_documented_test_vector_is_valid()
    {
        // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
        const string header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        Assert.Equal(SignatureResult.Valid, WebhookSignature.Verify(header, Secrets("It's a Secret to Everybody"), Body));
        Assert.Equal(header, WebhookSignature.Sign("It's a Secret to Everybody", Body));
    }

    [Theory]
    [InlineData(null, SignatureResult.Missing)]
    [InlineData("", SignatureResult.Missing)]
    [InlineData("sha1=757107ea0eb2509fc211221cce984b8a37570b6d", SignatureResult.Malformed)]
    [InlineData("sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", SignatureResult.Malformed)]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1", SignatureResult.Malformed)]
    [InlineData("sha256=857107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", SignatureResult.Mismatch)]
    public void Bad_headers_are_told_apart(string? header, SignatureResult expected) =>
        Assert.Equal(expected, WebhookSignature.Verify(header, Secrets("It's a Secret to Everybody"), Body));

    [Fact]
    public void Uppercase_hex_is_accepted() =>
        Assert.Equal(SignatureResult.Valid, WebhookSignature.Verify(
            "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17", Secrets("It's a Secret to Everybody"), Body));

    [Fact]
    public void Any_of_several_active_secrets_verifies_during_rotation()
    {
        var header = WebhookSignature.Sign("new-secret-0123456789abc", Body);
        Assert.Equal(SignatureResult.Valid, WebhookSignature.Verify(header, Secrets("old-secret-0123456789abc", "new-secret-0123456789abc"), Body));
        Assert.Equal(SignatureResult.Mismatch, WebhookSignature.Verify(header, Secrets("old-secret-0123456789abc"), Body));
    }

    [Fact]
    public void A_changed_body_does_not_verify()
    {
        var header = WebhookSignature.Sign("It's a Secret to Everybody", Body);
        Assert.Equal(SignatureResult.Mismatch, WebhookSignature.Verify(header, Secrets("It's a Secret to Everybody"), Encoding.UTF8.GetBytes("Hello, World?")));
    }

    private const string Secret = "It's a Secret to Everybody";
    private const string Digest = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    /// <summary>
    /// Attack: the right digest under another algorithm's name ("sha512=" is as long as "sha256="), hoping the
    /// prefix is only checked when the length is wrong. The header is malformed, whatever digest follows.
    /// </summary>
    [Theory]
    [InlineData("sha512=")]
    [InlineData("sha256:")]
    [InlineData("xsha256")]
    public void Another_prefix_of_the_same_length_is_malformed_even_with_the_right_digest(string prefix)
    {
        Assert.Equal(SignatureResult.Malformed, WebhookSignature.Verify(prefix + Digest, Secrets(Secret), Body));
        AssertRefused(WebhookSignatureCheck.Start(prefix + Digest, Secrets(Secret)), SignatureResult.Malformed);
    }

    [Fact]
    public void Extra_hex_digits_after_the_digest_are_malformed() =>
        Assert.Equal(SignatureResult.Malformed, WebhookSignature.Verify("sha256=" + Digest + "00", Secrets(Secret), Body));

    [Fact]
    public void The_prefix_may_be_written_in_capitals() =>
        Assert.Equal(SignatureResult.Valid, WebhookSignature.Verify("SHA256=" + Digest, Secrets(Secret), Body));

    /// <summary>An operator rotating may list the same secret twice (old = new for a while): it still verifies.</summary>
    [Fact]
    public void A_secret_listed_twice_still_verifies()
    {
        Assert.Equal(SignatureResult.Valid, WebhookSignature.Verify("sha256=" + Digest, Secrets(Secret, Secret), Body));
        Assert.Equal(SignatureResult.Valid, Streamed("sha256=" + Digest, Secrets(Secret, Secret), Body).Result);
        Assert.Equal(SignatureResult.Valid, Streamed("sha256=" + Digest, Secrets("other-secret-0123456789", Secret, Secret), Body).Result);
    }

    [Fact]
    public void No_active_secret_verifies_nothing()
    {
        Assert.Equal(SignatureResult.Mismatch, WebhookSignature.Verify("sha256=" + Digest, [], Body));
        Assert.Equal(SignatureResult.Mismatch, Streamed("sha256=" + Digest, [], Body).Result);
    }

    [Fact]
    public void A_body_read_in_pieces_verifies_like_the_whole_and_reports_its_sha256()
    {
        var body = Encoding.UTF8.GetBytes("{\"action\":\"opened\",\"number\":7,\"text\":\"" + new string('x', 5000) + "\"}");
        var header = WebhookSignature.Sign("new-secret-0123456789abc", body);
        var (result, sha) = Streamed(header, Secrets("old-secret-0123456789abc", "new-secret-0123456789abc"), body, piece: 1000);
        Assert.Equal(SignatureResult.Valid, result);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), sha);

        var changed = body.ToArray();
        changed[^2] = (byte)'y';
        var (mismatch, changedSha) = Streamed(header, Secrets("old-secret-0123456789abc", "new-secret-0123456789abc"), changed, piece: 1000);
        Assert.Equal(SignatureResult.Mismatch, mismatch);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(changed)), changedSha);
        Assert.Equal(SignatureResult.Mismatch, Streamed(header, Secrets("old-secret-0123456789abc"), body).Result);
    }

    [Fact]
    public void A_disposed_check_takes_no_more_of_the_body()
    {
        var (check, _) = WebhookSignatureCheck.Start("sha256=" + Digest, []);
        check!.Dispose();
        Assert.Throws<ObjectDisposedException>(() => check.Append(Body));
    }

    [Theory]
    [InlineData(null, SignatureResult.Missing)]
    [InlineData("", SignatureResult.Missing)]
    [InlineData("sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", SignatureResult.Malformed)]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1", SignatureResult.Malformed)]
    public void The_streamed_check_refuses_a_bad_header_before_any_body_is_read(string? header, SignatureResult expected) =>
        AssertRefused(WebhookSignatureCheck.Start(header, Secrets(Secret)), expected);

    private static void AssertRefused((WebhookSignatureCheck? Check, SignatureResult Result) started, SignatureResult expected)
    {
        Assert.Null(started.Check);
        Assert.Equal(expected, started.Result);
    }

    private static (SignatureResult Result, string? Sha) Streamed(string header, byte[][] secrets, byte[] body, int piece = 3)
    {
        var (check, format) = WebhookSignatureCheck.Start(header, secrets);
        Assert.Equal(SignatureResult.Valid, format);
        using (check)
        {
            Assert.Null(check!.BodySha256);
            for (var i = 0; i < body.Length; i += piece) check.Append(body.AsSpan(i, Math.Min(piece, body.Length - i)));
            return (check.Finish(), check.BodySha256);
        }
    }
}
