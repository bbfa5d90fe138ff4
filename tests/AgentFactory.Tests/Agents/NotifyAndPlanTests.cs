using AgentFactory.Agents.Tasks;
using AgentFactory.Hosting;
using AgentFactory.Jobs;
using AgentFactory.Notify;
using AgentFactory.Orchestration;
using AgentFactory.Routing;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentFactory.Tests.Agents;

/// <summary>How notices render per channel, how the routing's notify lists are checked, and the template plan.</summary>
public sealed class NotifyAndPlanTests
{
    [Fact]
    public void Telegram_html_escapes_text_and_keeps_under_the_message_limit_by_shortening_output_from_its_start()
    {
        var notice = new Notice(false, "Deploy <prod> & co failed", "exit 3", string.Concat(Enumerable.Repeat("x", 10_000)) + "\nTHE END <b>", "https://example.com/r?a=1&b=2");
        var html = notice.ToTelegramHtml();
        Assert.True(html.Length <= 4096, $"{html.Length} chars");
        Assert.StartsWith("❌ <b>Deploy &lt;prod&gt; &amp; co failed</b>\nexit 3\n<pre>…", html, StringComparison.Ordinal);
        Assert.Contains("THE END &lt;b&gt;</pre>", html, StringComparison.Ordinal);
        Assert.EndsWith("https://example.com/r?a=1&amp;b=2", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Slack_text_escapes_control_characters_and_fences_the_output()
    {
        var text = new Notice(true, "Deployed <x>", null, "line1\nline2", "https://example.com").ToSlackText();
        Assert.Equal(":white_check_mark: *Deployed &lt;x&gt;*\n```\nline1\nline2\n```\n<https://example.com>", text);
    }

    /// <summary>Attack: an output that closes the code block would make the rest of it Slack markup.</summary>
    [Fact]
    public void Slack_output_that_contains_a_code_fence_stays_inside_the_block()
    {
        var text = new Notice(false, "Job 1 failed", null, "log\n```\n*Approve* now\n```").ToSlackText();
        Assert.EndsWith("\n```", text, StringComparison.Ordinal);
        Assert.Equal(2, text.Split("```").Length - 1); // only the service's own opening and closing fence
    }

    [Fact]
    public void Tail_keeps_the_last_lines()
    {
        Assert.Equal("c\nd", Notice.Tail("a\nb\nc\nd\n", 2));
        Assert.Null(Notice.Tail("  \n", 5));
    }

    [Fact]
    public void Routing_that_names_an_unconfigured_channel_stops_the_start_naming_the_variables()
    {
        var routing = RoutingLoader.Parse("""{"jobs":{"github_release":{"agent":"log","notify":["telegram"]},"github_push":{"agent":"log","notify":["slack","pager"]}}}""", "test");
        var none = new Notifications([], new NotifySettings(), NullLogger<Notifications>.Instance);
        var e = Assert.Throws<SettingsException>(() => new JobNotifier(routing, none));
        Assert.Contains("jobs.github_release.notify names \"telegram\", but TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are not set", e.Message, StringComparison.Ordinal);
        Assert.Contains("jobs.github_push.notify names \"slack\", but SLACK_WEBHOOK_URL is not set", e.Message, StringComparison.Ordinal);

        _ = new JobNotifier(RoutingLoader.Parse("""{"jobs":{"*":{"agent":"log","notify":["*"]}}}""", "test"), none);
    }

    [Fact]
    public void Notify_on_values_other_than_completed_and_failed_are_refused()
    {
        var e = Assert.Throws<SettingsException>(() => RoutingLoader.Parse("""{"jobs":{"x":{"agent":"log","notify":["*"],"notifyOn":["done"]}}}""", "routing.json"));
        Assert.Contains("jobs.x.notifyOn has 'done'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Job_notice_says_what_the_job_was_about_and_why_it_failed()
    {
        var job = new JobRecord(7, "github_release", """{"repository":{"full_name":"o/r"},"release":{"tag_name":"v2"}}""", JobStatus.Failed, 0, 3, 3,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null, null, "boom", [], null, null, null, null);
        var notice = JobNotifier.NoticeFor(job, new JobEnding(JobStatus.Failed, "boom", "step 1\nstep 2"));
        Assert.False(notice.Ok);
        Assert.Equal("Job 7 (github_release) failed after 3 attempts", notice.Headline);
        Assert.Equal("o/r · release v2 · error: boom", notice.Details);
        Assert.Equal("step 1\nstep 2", notice.Output);
    }

    [Fact]
    public void Template_plan_quotes_the_issue_and_lists_the_repository_files_it_names()
    {
        var issue = new IssueInfo(5, "Crash in parser", "Parsing fails in src/Parser.cs when Lexer.cs sees a tab.\nSee also README.", "https://x/5", "alice", ["agent-task", "bug"]);
        var plan = PlanWriter.Template(issue, ["README.md", "src/Parser.cs", "src/Lexer.cs", "src/ParserTests.cs", "docs/a.md"]);
        Assert.StartsWith("# Plan for #5: Crash in parser\n\nIssue: https://x/5 · opened by @alice · labels: agent-task, bug\n", plan, StringComparison.Ordinal);
        Assert.Contains("> Parsing fails in src/Parser.cs when Lexer.cs sees a tab.\n> See also README.\n", plan, StringComparison.Ordinal);
        Assert.Equal(["src/Parser.cs", "src/Lexer.cs"], PlanWriter.NamedFiles(issue.Title + "\n" + issue.Body, ["README.md", "src/Parser.cs", "src/Lexer.cs", "src/ParserTests.cs"]));
        Assert.Contains("- `src/Parser.cs`\n- `src/Lexer.cs`\n", plan, StringComparison.Ordinal);
        Assert.Contains("## Steps", plan, StringComparison.Ordinal);
    }
}
