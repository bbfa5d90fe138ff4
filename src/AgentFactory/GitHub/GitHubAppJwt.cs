using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace AgentFactory.GitHub;

/// <summary>
/// The JSON Web Token a GitHub App signs to ask for installation tokens: RS256 over
/// {"iat": now − 60 s (clock drift), "exp": now + 9 min (GitHub's limit is 10), "iss": app id}.
/// </summary>
public static class GitHubAppJwt
{
    public static string Create(long appId, RSA key, DateTimeOffset now)
    {
        var header = Encode("""{"alg":"RS256","typ":"JWT"}"""u8);
        var claims = $$"""{"iat":{{now.AddSeconds(-60).ToUnixTimeSeconds()}},"exp":{{now.AddMinutes(9).ToUnixTimeSeconds()}},"iss":{{appId}}}""";
        var signingInput = header + "." + Encode(Encoding.UTF8.GetBytes(claims));
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Encode(signature);
    }

    private static string Encode(ReadOnlySpan<byte> bytes) => Base64Url.EncodeToString(bytes);
}
