using System.Text.Json.Nodes;
using AgentFactory.Cli;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Cli;

/// <summary>The `agentfactory` executable: messages and exit codes a script can rely on.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) =>
        AgentFactory.Tests.Support.Cli.RunAsync(_dir.Path, new Dictionary<string, string>(), args);

    [Fact]
    public async Task Help_lists_every_command()
    {
        var (exit, output, _) = await Run("--help");
        Assert.Equal(ExitCodes.Ok, exit);
        foreach (var command in new[] { "serve", "webhook", "orchestrator", "migrate", "trigger", "jobs", "events", "stats", "secret" })
            Assert.Contains(command, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_command_is_a_usage_error()
    {
        var (exit, _, err) = await Run("frobnicate");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--help", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Short_webhook_secret_is_refused_at_start_with_a_message_that_says_so()
    {
        var (exit, _, err) = await AgentFactory.Tests.Support.Cli.RunAsync(_dir.Path, new Dictionary<string, string> { ["GITHUB_WEBHOOK_SECRET"] = "too-short" }, "serve");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("GITHUB_WEBHOOK_SECRET must be at least 20 characters", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Short_secret_in_dotenv_is_read_and_refused_too()
    {
        await File.WriteAllTextAsync(_dir.File(".env"), "# from the guide\nGITHUB_WEBHOOK_SECRET=short-one\n");
        var (exit, _, err) = await Run("serve");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("GITHUB_WEBHOOK_SECRET", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Supabase_rest_credentials_alone_say_which_connection_string_to_use()
    {
        var (exit, _, err) = await AgentFactory.Tests.Support.Cli.RunAsync(_dir.Path, new Dictionary<string, string>
        {
            ["SUPABASE_URL"] = "https://abc.supabase.co", ["SUPABASE_KEY"] = "service-key",
        }, "migrate");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("DATABASE_URL", err, StringComparison.Ordinal);
        Assert.Contains("Connection string", err, StringComparison.Ordinal);
        Assert.DoesNotContain("service-key", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_number_names_the_variable()
    {
        var (exit, _, err) = await AgentFactory.Tests.Support.Cli.RunAsync(_dir.Path, new Dictionary<string, string> { ["MAX_CONCURRENT_JOBS"] = "lots" }, "serve");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("MAX_CONCURRENT_JOBS must be a number", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_then_jobs_list_show_cancel_and_retry_work_with_clear_exit_codes()
    {
        Assert.Equal(ExitCodes.Ok, (await Run("migrate")).Exit);
        var (exit, output, _) = await Run("trigger", "custom_task", "--payload", "{\"task\":\"Update documentation\"}", "--priority", "4");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("Queued job 1 (custom_task)", output, StringComparison.Ordinal);

        (exit, output, _) = await Run("jobs", "list", "--json");
        Assert.Equal(ExitCodes.Ok, exit);
        var job = Assert.Single(JsonNode.Parse(output)!.AsArray())!;
        Assert.Equal("custom_task", job["job_type"]!.GetValue<string>());
        Assert.Equal("pending", job["status"]!.GetValue<string>());
        Assert.Equal(4, job["priority"]!.GetValue<int>());

        (exit, output, _) = await Run("jobs", "show", "1");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("Update documentation", JsonNode.Parse(output)!["payload"]!["task"]!.GetValue<string>());

        var (retryExit, _, retryErr) = await Run("jobs", "retry", "1");
        Assert.Equal(ExitCodes.NotFound, retryExit);
        Assert.Contains("is pending", retryErr, StringComparison.Ordinal);

        Assert.Equal(ExitCodes.Ok, (await Run("jobs", "cancel", "1")).Exit);
        Assert.Equal(ExitCodes.Ok, (await Run("jobs", "retry", "1")).Exit);
        Assert.Equal(ExitCodes.NotFound, (await Run("jobs", "show", "99")).Exit);

        (exit, output, _) = await Run("events", "--type", "manual");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("manual", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_with_bad_json_is_a_usage_error()
    {
        Assert.Equal(ExitCodes.Ok, (await Run("migrate")).Exit);
        var (exit, _, err) = await Run("trigger", "x", "--payload", "{nope");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--payload is not valid JSON", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Queue_commands_outside_the_service_directory_say_where_the_database_should_be()
    {
        var (exit, _, err) = await Run("jobs", "list");
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("No queue database at", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "data", "agentfactory.db")));
    }

    [Fact]
    public async Task Trigger_refuses_what_the_manual_endpoint_refuses()
    {
        Assert.Equal(ExitCodes.Ok, (await Run("migrate")).Exit);
        var (exit, _, err) = await Run("trigger", "rm -rf /");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("job_type must be", err, StringComparison.Ordinal);
        (exit, _, err) = await Run("trigger", "ok", "--priority", "5000");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("priority must be", err, StringComparison.Ordinal);
        (exit, _, err) = await Run("trigger", "ok", "--payload", "{\"n\": 1e999999}"); // beyond what the queue stores
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--payload cannot be queued", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secret_prints_a_strong_url_safe_secret()
    {
        var (exit, output, _) = await Run("secret");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", output.Trim());
        Assert.NotEqual(output, (await Run("secret")).Out);
    }

    [Fact]
    public async Task Migrate_creates_the_schema_and_can_run_again()
    {
        Assert.Equal(ExitCodes.Ok, (await Run("migrate")).Exit);
        var (exit, output, _) = await Run("migrate");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("up to date", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "data", "agentfactory.db")));
    }

    [Theory]
    [InlineData("jobz", "jobs")]
    [InlineData("serv", "serve")]
    [InlineData("jobs lst", "list")]
    [InlineData("stats --jsn", "--json")]
    public async Task A_misspelt_command_or_option_gets_a_did_you_mean(string typed, string suggestion)
    {
        var (exit, output, err) = await Run(typed.Split(' '));
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("Did you mean", err, StringComparison.Ordinal);
        Assert.Contains(suggestion, err[err.IndexOf("Did you mean", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.Equal("", output); // all of it on stderr
    }

    [Theory]
    [InlineData("jobs show abc", "The job id must be a whole number from 1 (got 'abc')")]
    [InlineData("jobs retry -3", "The job id must be a whole number from 1 (got '-3')")]
    [InlineData("jobs list --limit lots", "--limit must be a whole number from 1 to 1000 (got 'lots')")]
    [InlineData("trigger x --priority high", "--priority must be a whole number from -1000 to 1000 (got 'high')")]
    [InlineData("redeliver --repo o/r --hook-id twelve", "--hook-id must be a whole number from 1 (got 'twelve')")]
    public async Task A_bad_number_says_what_is_accepted_in_the_users_terms(string typed, string message)
    {
        var (exit, _, err) = await Run(typed.Split(' '));
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_show_prints_text_as_written_not_as_unicode_escapes()
    {
        Assert.Equal(ExitCodes.Ok, (await Run("migrate")).Exit);
        Assert.Equal(ExitCodes.Ok, (await Run("trigger", "custom_task", "--payload", "{\"task\":\"it's <main> & Grüße\"}")).Exit);
        var (exit, output, _) = await Run("jobs", "show", "1");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("\"task\": \"it's <main> & Grüße\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00", output, StringComparison.Ordinal);
    }
}
