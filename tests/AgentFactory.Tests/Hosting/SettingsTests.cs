using AgentFactory.Hosting;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Hosting;

public sealed class SettingsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private AgentFactory.Options.AgentFactoryOptions Load(Dictionary<string, string> env, bool createSecrets = false)
    {
        env.TryAdd("AGENTFACTORY_DATA_DIR", _dir.Path);
        return SettingsLoader.Load(k => env.GetValueOrDefault(k), createSecrets);
    }

    [Fact]
    public void Defaults_match_the_guide()
    {
        var o = Load([]);
        Assert.Equal(TimeSpan.FromSeconds(60), o.TickInterval);
        Assert.Equal(3, o.MaxConcurrentJobs);
        Assert.True(o.GitSyncEnabled);
        Assert.Equal("INFO", o.LogLevel);
        Assert.Null(o.DatabaseUrl);
    }

    [Fact]
    public void Guide_variables_are_read()
    {
        var o = Load(new() { ["TICK_INTERVAL_SECONDS"] = "5", ["MAX_CONCURRENT_JOBS"] = "8", ["GIT_SYNC_ENABLED"] = "false", ["ORCHESTRATOR_LOG_LEVEL"] = "debug" });
        Assert.Equal(TimeSpan.FromSeconds(5), o.TickInterval);
        Assert.Equal(8, o.MaxConcurrentJobs);
        Assert.False(o.GitSyncEnabled);
        Assert.Equal("DEBUG", o.LogLevel);
    }

    [Fact]
    public void The_body_budget_is_read_in_megabytes_and_holds_at_least_one_githubs_largest_body()
    {
        Assert.Equal(64L * 1024 * 1024, Load([]).WebhookBodyBudgetBytes);
        Assert.Equal(200L * 1024 * 1024, Load(new() { ["WEBHOOK_BODY_BUDGET_MB"] = "200" }).WebhookBodyBudgetBytes);
        var e = Assert.Throws<SettingsException>(() => Load(new() { ["WEBHOOK_BODY_BUDGET_MB"] = "10" }));
        Assert.Contains("WEBHOOK_BODY_BUDGET_MB must be a number from 26", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_naming_its_variable()
    {
        var e = Assert.Throws<SettingsException>(() => Load(new()
        {
            ["GITHUB_WEBHOOK_SECRET"] = "short", ["TICK_INTERVAL_SECONDS"] = "0", ["GIT_SYNC_ENABLED"] = "maybe", ["ORCHESTRATOR_LOG_LEVEL"] = "LOUD",
        }));
        foreach (var name in new[] { "GITHUB_WEBHOOK_SECRET", "TICK_INTERVAL_SECONDS", "GIT_SYNC_ENABLED", "ORCHESTRATOR_LOG_LEVEL" })
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short", e.Message.Replace("shorter", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_are_generated_once_with_owner_only_permissions_and_reused()
    {
        var first = Load([], createSecrets: true);
        var again = Load([], createSecrets: true);
        Assert.Equal(first.WebhookSecrets, again.WebhookSecrets);
        Assert.Equal(first.ManualTriggerToken, again.ManualTriggerToken);
        Assert.True(first.WebhookSecrets[0].Length >= 40);
        Assert.NotEqual(first.WebhookSecrets[0], first.ManualTriggerToken);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.WebhookSecretSource));
    }

    [Fact]
    public void A_new_data_directory_is_private_to_its_owner()
    {
        var dataDir = Path.Combine(_dir.Path, "fresh");
        Load(new() { ["AGENTFACTORY_DATA_DIR"] = dataDir }, createSecrets: true);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDir));
    }

    [Fact]
    public void Several_comma_separated_secrets_are_all_active_for_rotation()
    {
        var o = Load(new() { ["GITHUB_WEBHOOK_SECRET"] = "old-secret-0123456789abc, new-secret-0123456789abc" });
        Assert.Equal(["old-secret-0123456789abc", "new-secret-0123456789abc"], o.WebhookSecrets);
    }

    [Fact]
    public void Secret_can_come_from_a_file()
    {
        File.WriteAllText(_dir.File("secret"), "from-a-file-0123456789abcdef\n");
        var o = Load(new() { ["GITHUB_WEBHOOK_SECRET_FILE"] = _dir.File("secret") });
        Assert.Equal("from-a-file-0123456789abcdef", Assert.Single(o.WebhookSecrets));
    }

    [Fact]
    public void Supabase_db_url_selects_postgres()
    {
        var o = Load(new() { ["SUPABASE_DB_URL"] = "postgresql://postgres:pw@db.abc.supabase.co:5432/postgres", ["SUPABASE_URL"] = "https://abc.supabase.co" });
        Assert.Equal("postgresql://postgres:pw@db.abc.supabase.co:5432/postgres", o.DatabaseUrl);
    }

    [Fact]
    public void Dotenv_parses_quotes_comments_and_export_without_interpolation()
    {
        var parsed = DotEnv.Parse([
            "# comment", "", "export A=1", "B = two words # trailing comment", "C='single $HOME # not a comment'", "D=\"double\\nline\"", "E=p@ss$word#1", "junk line",
        ]).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("1", parsed["A"]);
        Assert.Equal("two words", parsed["B"]);
        Assert.Equal("single $HOME # not a comment", parsed["C"]);
        Assert.Equal("double\nline", parsed["D"]);
        Assert.Equal("p@ss$word#1", parsed["E"]);
        Assert.Equal(5, parsed.Count);
    }
}
