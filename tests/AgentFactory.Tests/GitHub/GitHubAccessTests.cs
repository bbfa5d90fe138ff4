using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AgentFactory.GitHub;
using AgentFactory.Hosting;
using AgentFactory.Models;
using AgentFactory.Notify;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.GitHub;

/// <summary>GitHub retry decisions, the App JWT, and the agents' environment settings.</summary>
public sealed class GitHubAccessTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly GitHubSettings Settings = new() { MaxRetries = 3, MaxRetryWait = TimeSpan.FromSeconds(60), RetryBaseDelay = TimeSpan.FromSeconds(1) };
    private static readonly RateLimitHeaders None = new(null, null, null);

    private static TimeSpan? Decide(HttpMethod method, int status, RateLimitHeaders headers, string? body = null, int retry = 0) =>
        GitHubRetryPolicy.Decide(method, status, headers, body, retry, Now, Settings);

    [Fact]
    public void Primary_rate_limit_waits_until_the_reset_time_for_any_method()
    {
        var headers = new RateLimitHeaders(null, "0", Now.AddSeconds(20).ToUnixTimeSeconds());
        Assert.Equal(TimeSpan.FromSeconds(21), Decide(HttpMethod.Post, 403, headers));
        Assert.Equal(TimeSpan.FromSeconds(21), Decide(HttpMethod.Get, 429, headers));
    }

    [Fact]
    public void Secondary_rate_limit_honours_retry_after_or_waits_a_minute()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), Decide(HttpMethod.Post, 403, new RateLimitHeaders(TimeSpan.FromSeconds(5), "4000", null)));
        Assert.Equal(TimeSpan.FromMinutes(1), Decide(HttpMethod.Post, 403, None, """{"message":"You have exceeded a secondary rate limit."}"""));
    }

    [Fact]
    public void Waits_longer_than_the_bound_are_not_taken_so_the_job_retry_applies()
    {
        Assert.Null(Decide(HttpMethod.Get, 403, new RateLimitHeaders(null, "0", Now.AddMinutes(30).ToUnixTimeSeconds())));
        Assert.Null(Decide(HttpMethod.Get, 429, new RateLimitHeaders(TimeSpan.FromMinutes(5), null, null)));
    }

    [Fact]
    public void Server_errors_are_retried_with_doubling_backoff_for_reads_only_and_up_to_the_limit()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), Decide(HttpMethod.Get, 502, None, retry: 0));
        Assert.Equal(TimeSpan.FromSeconds(4), Decide(HttpMethod.Get, 503, None, retry: 2));
        Assert.Null(Decide(HttpMethod.Get, 500, None, retry: 3));
        Assert.Null(Decide(HttpMethod.Post, 502, None));
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(422)]
    public void Client_errors_without_rate_limit_signs_are_not_retried(int status) =>
        Assert.Null(Decide(HttpMethod.Get, status, new RateLimitHeaders(null, "4999", null), """{"message":"Resource not accessible by integration"}"""));

    [Fact]
    public void App_jwt_is_rs256_signed_with_the_app_id_as_issuer_and_a_short_life()
    {
        using var key = RSA.Create(2048);
        var jwt = GitHubAppJwt.Create(4242, key, Now).Split('.');

        Assert.Equal("""{"alg":"RS256","typ":"JWT"}""", Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(jwt[0])));
        var claims = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt[1]))!;
        Assert.Equal(4242, claims["iss"]!.GetValue<long>());
        Assert.Equal(Now.AddSeconds(-60).ToUnixTimeSeconds(), claims["iat"]!.GetValue<long>());
        Assert.True(claims["exp"]!.GetValue<long>() - Now.ToUnixTimeSeconds() <= 600);
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes(jwt[0] + "." + jwt[1]), System.Buffers.Text.Base64Url.DecodeFromChars(jwt[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    private static SettingsException LoadFails(Dictionary<string, string> env) =>
        Assert.Throws<SettingsException>(() => AgentFactory.Hosting.IntegrationSettings.Load(n => env.GetValueOrDefault(n)));

    [Fact]
    public void Every_bad_agent_setting_is_reported_at_start_naming_its_variable()
    {
        var e = LoadFails(new()
        {
            ["GITHUB_API_URL"] = "github.example.com",
            ["GITHUB_APP_ID"] = "12",
            ["LLM_BASE_URL"] = "http://localhost:11434/v1",
            ["LLM_MAX_INPUT_TOKENS"] = "lots",
            ["TELEGRAM_BOT_TOKEN"] = "not-a-token",
            ["SLACK_WEBHOOK_URL"] = "hooks.slack.com/x",
        });
        foreach (var expected in new[] { "GITHUB_API_URL must be an absolute http(s) URL", "GITHUB_APP_ID is set but the App's private key is not",
                     "LLM_BASE_URL is set but LLM_MODEL is not", "LLM_MAX_INPUT_TOKENS must be a whole number", "TELEGRAM_BOT_TOKEN does not look like a bot token",
                     "TELEGRAM_BOT_TOKEN is set but TELEGRAM_CHAT_ID is not", "SLACK_WEBHOOK_URL must be an absolute http(s) URL" })
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void App_private_key_that_is_not_a_pem_is_refused()
    {
        var e = LoadFails(new() { ["GITHUB_APP_ID"] = "12", ["GITHUB_APP_PRIVATE_KEY"] = "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----" });
        Assert.Contains("GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_come_from_variables_and_files_with_enterprise_url_and_escaped_newlines()
    {
        using var dir = new TempDir();
        using var key = RSA.Create(2048);
        File.WriteAllText(dir.File("app.pem"), key.ExportRSAPrivateKeyPem());
        var env = new Dictionary<string, string>
        {
            ["GITHUB_API_URL"] = "https://ghe.example.com/api/v3",
            ["GITHUB_APP_ID"] = "12",
            ["GITHUB_APP_PRIVATE_KEY_FILE"] = dir.File("app.pem"),
            ["LLM_MODEL"] = "llama3.1",
            ["LLM_BASE_URL"] = "http://localhost:11434/v1",
            ["TELEGRAM_BOT_TOKEN"] = "123:abc",
            ["TELEGRAM_CHAT_ID"] = "-100",
        };
        var reader = new EnvReader(env.GetValueOrDefault);
        var github = GitHubSettings.Load(reader);
        var llm = LlmSettings.Load(reader);
        var notify = NotifySettings.Load(reader);
        Assert.Empty(reader.Errors);
        Assert.Equal("https://ghe.example.com/api/v3/", github.ApiUrl.AbsoluteUri);
        Assert.Equal(12, github.AppId);
        Assert.Contains("BEGIN RSA PRIVATE KEY", github.AppPrivateKeyPem, StringComparison.Ordinal);
        Assert.True(llm.Configured);
        Assert.Equal(12_000 * 4, llm.MaxInputChars);
        Assert.True(notify.TelegramConfigured);
        Assert.False(notify.SlackConfigured);

        var escaped = new EnvReader(n => n == "GITHUB_APP_ID" ? "12" : n == "GITHUB_APP_PRIVATE_KEY" ? key.ExportRSAPrivateKeyPem().Replace("\n", "\\n", StringComparison.Ordinal) : null);
        GitHubSettings.Load(escaped);
        Assert.Empty(escaped.Errors);
    }

    [Fact]
    public void Nothing_set_means_no_github_no_llm_and_no_channels_without_error()
    {
        var reader = new EnvReader(_ => null);
        Assert.False(GitHubSettings.Load(reader).Configured);
        Assert.False(LlmSettings.Load(reader).Configured);
        var notify = NotifySettings.Load(reader);
        Assert.False(notify.TelegramConfigured || notify.SlackConfigured);
        Assert.Empty(reader.Errors);
    }
}
