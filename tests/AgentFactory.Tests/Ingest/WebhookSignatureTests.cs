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
}
