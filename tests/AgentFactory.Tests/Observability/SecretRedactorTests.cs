using AgentFactory.Dashboard;
using AgentFactory.Hosting;
using AgentFactory.Observability;
using AgentFactory.Options;

namespace AgentFactory.Tests.Observability;

/// <summary>SecretRedactor: every configured secret by its setting's name, and any URL's credentials.</summary>
public sealed class SecretRedactorTests
{
    private static SecretRedactor Configured() => SecretRedactor.For(new ServiceSettings
    {
        Options = new AgentFactoryOptions
        {
            WebhookSecrets = ["whsec-old-0123456789abcdef", "whsec-new-0123456789abcdef"],
            ManualTriggerToken = "mtok-0123456789abcdef",
            DatabaseUrl = "postgresql://app:p%40ss-w0rd-long@db.example:5432/agents",
        },
        Dashboard = new DashboardSettings { AdminToken = "atok-0123456789abcdef", AdminTokenSource = "ADMIN_TOKEN", KeysDirectory = "/nonexistent/keys" },
        Integrations = IntegrationSettings.Load(name => name switch
        {
            "GITHUB_TOKEN" => "ghp_0123456789abcdefghijklmnop",
            "LLM_API_KEY" => "sk-0123456789abcdef",
            "LLM_MODEL" => "gpt-4o-mini",
            "TELEGRAM_BOT_TOKEN" => "123456:AAbbCCddEEff_gg",
            "TELEGRAM_CHAT_ID" => "-100",
            "SLACK_WEBHOOK_URL" => "https://hooks.slack.example/services/T0/B0/SECRETPATH",
            _ => null,
        }),
    });

    [Theory]
    [InlineData("whsec-old-0123456789abcdef", "<GITHUB_WEBHOOK_SECRET>")]
    [InlineData("whsec-new-0123456789abcdef", "<GITHUB_WEBHOOK_SECRET>")]
    [InlineData("mtok-0123456789abcdef", "<MANUAL_TRIGGER_TOKEN>")]
    [InlineData("atok-0123456789abcdef", "<ADMIN_TOKEN>")]
    [InlineData("ghp_0123456789abcdefghijklmnop", "<GITHUB_TOKEN>")]
    [InlineData("sk-0123456789abcdef", "<LLM_API_KEY>")]
    [InlineData("123456:AAbbCCddEEff_gg", "<TELEGRAM_BOT_TOKEN>")]
    [InlineData("123456%3AAAbbCCddEEff_gg", "<TELEGRAM_BOT_TOKEN>")]
    [InlineData("/services/T0/B0/SECRETPATH", "<SLACK_WEBHOOK_URL>")]
    [InlineData("p@ss-w0rd-long", "<DATABASE_URL password>")]
    public void Each_configured_secret_is_replaced_by_its_settings_name(string secret, string replacement)
    {
        var redacted = Configured().Redact($"before {secret} after");
        Assert.Equal($"before {replacement} after", redacted);
    }

    [Theory]
    [InlineData("fatal: unable to access 'https://x-access-token:ghs_minted123@github.com/o/r.git/'", "fatal: unable to access 'https://***@github.com/o/r.git/'")]
    [InlineData("remote: http://user@host.example:8080/x", "remote: http://***@host.example:8080/x")]
    [InlineData("postgres://app:secret@db/x and ssh://git:pw@h/r", "postgres://***@db/x and ssh://***@h/r")]
    public void Credentials_in_any_url_are_stripped(string text, string expected) =>
        Assert.Equal(expected, SecretRedactor.None.Redact(text));

    [Theory]
    [InlineData("mail me at ops@example.com")]
    [InlineData("see https://github.com/o/r/issues/1 by @octocat")]
    [InlineData("git@github.com:o/r.git")]
    public void Text_without_credentials_is_left_alone(string text) =>
        Assert.Equal(text, SecretRedactor.None.Redact(text));

    [Fact]
    public void A_secret_learnt_at_run_time_is_redacted_from_then_on_and_short_values_never_are()
    {
        var redactor = new SecretRedactor([("SHORT", "abc")]);
        redactor.Add("GITHUB_APP installation token", "ghs_installation0123456789");
        Assert.Equal("a abc <GITHUB_APP installation token>", redactor.Redact("a abc ghs_installation0123456789"));
    }
}
