using System.Text.Json.Nodes;
using AgentFactory.Cli;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Cli;

/// <summary>`agentfactory jobs show N --steps`, run as the real executable against a real SQLite file.</summary>
public sealed class JobStepsCliTests : IDisposable
{
    private const string ManualToken = "cli-manual-token-5f1e9a0c77";

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) =>
        AgentFactory.Tests.Support.Cli.RunAsync(_dir.Path, new Dictionary<string, string> { ["MANUAL_TRIGGER_TOKEN"] = ManualToken }, args);

    /// <summary>A running coding job with four steps over two attempts, and a completed job with none.</summary>
    private async Task<(long Coding, long Quiet)> SeedAsync(string? hostile = null)
    {
        using var store = new SqliteJobStore(Path.Combine(_dir.Path, "data", "agentfactory.db"), TimeProvider.System, new QueueSignal());
        await store.MigrateAsync(default);
        var coding = await store.EnqueueAsync(new NewJob("github_issue", "{\"issue\":7}"), default);
        var lease = (await store.ClaimAsync("w", 1, TimeSpan.FromMinutes(30), default)).Single().Lease;
        await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Model, "gpt", "Fix issue #7", "Let me look at the parser.",
            Duration: TimeSpan.FromMilliseconds(1_250), InputTokens: 12_000, OutputTokens: 200, CostUsd: 0.0256m), default);
        await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Tool, "view_file", "{\"path\":\"src/parse.py\"}",
            string.Join('\n', Enumerable.Range(1, 80).Select(i => $"{i}: line {i} of the parser")), Duration: TimeSpan.FromMilliseconds(35)), default);
        await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Tool, "run_tests", "{}", hostile ?? "1 failed: test_parse", IsError: true, Duration: TimeSpan.FromSeconds(3.2)), default);
        await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Model, "gpt", null, "Fixed.", InputTokens: 13_000, OutputTokens: 50, CostUsd: 0.0266m), default);

        var quiet = await store.EnqueueAsync(new NewJob("deploy", "{}"), default);
        var done = (await store.ClaimAsync("w", 1, TimeSpan.FromMinutes(1), default)).Single();
        await store.CompleteAsync(done.Lease, "deployed", default);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return (coding, quiet);
    }

    private static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Jobs_show_steps_prints_each_step_on_a_line_with_excerpts_and_the_usage_totals()
    {
        var (coding, _) = await SeedAsync();
        var (exit, output, err) = await Run("jobs", "show", Id(coding), "--steps");
        Assert.True(exit == ExitCodes.Ok, err);
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal($"Job {coding} (github_issue): running, attempt 1 of 3", lines[0]);
        Assert.Matches(@"STEP\s+TRY\s+AT \(UTC\)\s+KIND\s+NAME\s+TOOK\s+IN TOK\s+OUT TOK\s+USD", lines[1]);
        Assert.Matches(@"^\s+1\s+1\s+\d\d:\d\d:\d\d\s+model\s+gpt\s+1\.3 s\s+12,000\s+200\s+0\.0256$", lines[2]);
        Assert.Equal("      in:  Fix issue #7", lines[3]);
        Assert.Equal("      out: Let me look at the parser.", lines[4]);
        Assert.Matches(@"^\s+2\s+1\s+\S+\s+tool\s+view_file\s+35 ms\s+-\s+-\s+-$", lines[5]);
        // 80 lines of file on one line, newlines shown as ⏎, cut to the width with …
        var excerpt = lines[7];
        Assert.StartsWith("      out: 1: line 1 of the parser⏎2: line 2", excerpt, StringComparison.Ordinal);
        Assert.EndsWith("…", excerpt, StringComparison.Ordinal);
        Assert.True(excerpt.Length <= StepsPrinter.DefaultWidth, $"{excerpt.Length} characters: {excerpt}");
        Assert.Matches(@"^\s+3\s+1\s+\S+\s+tool\s+run_tests\s+3\.2 s\s+-\s+-\s+-  ERROR$", lines[8]);
        Assert.Equal("Usage: 4 steps, 2 model turns, 25,000 input tokens, 250 output tokens, 0.0522 USD", lines[^2]);
        Assert.All(lines, l => Assert.True(l.Length <= StepsPrinter.DefaultWidth, l));

        // --after: the steps that follow an index only, the totals still the whole job's.
        (exit, output, _) = await Run("jobs", "show", Id(coding), "--steps", "--after", "3");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.DoesNotContain("run_tests", output, StringComparison.Ordinal);
        Assert.Contains("Fixed.", output, StringComparison.Ordinal);
        Assert.Contains("Usage: 4 steps", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_show_has_the_usage_totals_when_the_job_has_steps_and_json_has_every_steps_full_text()
    {
        var (coding, quiet) = await SeedAsync();
        var (exit, output, _) = await Run("jobs", "show", Id(coding));
        Assert.Equal(ExitCodes.Ok, exit);
        var usage = JsonNode.Parse(output)!["usage"]!;
        Assert.Equal((4, 2, 25_000L, 250L, 0.0522m), (usage["steps"]!.GetValue<int>(), usage["model_turns"]!.GetValue<int>(),
            usage["input_tokens"]!.GetValue<long>(), usage["output_tokens"]!.GetValue<long>(), usage["cost_usd"]!.GetValue<decimal>()));
        (exit, output, _) = await Run("jobs", "show", Id(quiet));
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Null(JsonNode.Parse(output)!["usage"]); // nothing added for a job that keeps no transcript

        (exit, output, _) = await Run("jobs", "show", Id(coding), "--steps", "--json");
        Assert.Equal(ExitCodes.Ok, exit);
        var json = JsonNode.Parse(output)!;
        Assert.Equal("github_issue", json["job_type"]!.GetValue<string>());
        var steps = json["steps"]!.AsArray();
        Assert.Equal([1, 2, 3, 4], steps.Select(s => s!["index"]!.GetValue<int>()));
        Assert.Contains("80: line 80 of the parser", steps[1]!["output"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(steps[2]!["is_error"]!.GetValue<bool>());
        Assert.Equal(2, json["usage"]!["model_turns"]!.GetValue<int>());

        (exit, output, _) = await Run("jobs", "show", Id(quiet), "--steps");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("No steps: this job's agent does not keep a transcript", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Step_options_without_steps_are_a_usage_error_that_says_how_to_use_them()
    {
        var (coding, _) = await SeedAsync();
        var (exit, _, err) = await Run("jobs", "show", Id(coding), "--after", "2");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("use them with --steps", err, StringComparison.Ordinal);
        (exit, _, err) = await Run("jobs", "show", Id(coding), "--steps", "--after", "-1");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--after must be a whole number from 0", err, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotFound, (await Run("jobs", "show", "999", "--steps")).Exit);
    }

    /// <summary>
    /// Attack: a tool's output carries terminal escape sequences (clear the screen, set the window
    /// title, hide text), a right-to-left override and the manual trigger token. Printed raw, it would
    /// take over the operator's terminal and show the token. Every control character is dropped and
    /// the token is replaced by its setting's name, in the text view and in JSON.
    /// </summary>
    [Fact]
    public async Task Terminal_escapes_and_secrets_in_a_step_never_reach_the_terminal()
    {
        var hostile = $"\u001b[2J\u001b]0;owned\u0007\u001b[8mhidden\u001b[0m \u202eevil\u202c token={ManualToken}\u009b31m";
        var (coding, _) = await SeedAsync(hostile);
        var (exit, output, _) = await Run("jobs", "show", Id(coding), "--steps");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.DoesNotContain(ManualToken, output, StringComparison.Ordinal);
        Assert.Contains("token=<MANUAL_TRIGGER_TOKEN>", output, StringComparison.Ordinal);
        Assert.DoesNotContain(output, c => c is '\u001b' or '\u0007' or '\u009b' or '\u202e' or '\u202c');

        (exit, output, _) = await Run("jobs", "show", Id(coding), "--steps", "--json");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.DoesNotContain(ManualToken, output, StringComparison.Ordinal);
        Assert.DoesNotContain(output, c => c is '\u001b' or '\u0007' or '\u009b');
        Assert.Contains("<MANUAL_TRIGGER_TOKEN>", JsonNode.Parse(output)!["steps"]![2]!["output"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
