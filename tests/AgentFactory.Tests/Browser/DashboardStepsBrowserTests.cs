using AgentFactory.Jobs;
using AgentFactory.Tests.Support;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace AgentFactory.Tests.Browser;

/// <summary>The job detail's Steps section in a real headless Chromium, following a running job's transcript live.</summary>
public sealed class DashboardStepsBrowserTests(ITestOutputHelper output)
{
    /// <summary>Tool output that would run script in the page if it were ever put there as HTML.</summary>
    private const string Injection = "<img src=x onerror=\"window.__pwned='img'\"><script>window.__pwned='script'</script><b>bold?</b>";

    [BrowserFact]
    public async Task A_running_jobs_steps_appear_live_one_by_one_with_totals_and_untrusted_text_stays_text()
    {
        Assert.True(Chromium.Installed, $"CI=true but Chromium is missing: apt-get install -y chromium chromium-driver ({Chromium.Browser}, {Chromium.Driver}).");
        JobLease lease = null!;
        long running = 0, quiet = 0;
        // Only the webhook role: no orchestrator touches the jobs; this test is the agent, writing steps with the job's lease.
        await using var service = await TestService.StartAsync(AgentFactory.Hosting.Roles.Webhook, seed: async store =>
        {
            quiet = await store.EnqueueAsync(new NewJob("deploy", "{}"), default);
            var done = (await store.ClaimAsync("earlier-run", 1, TimeSpan.FromMinutes(1), default)).Single();
            await store.CompleteAsync(done.Lease, "deployed", default);
            running = await store.EnqueueAsync(new NewJob("github_issue", "{\"issue\":7}"), default);
            lease = (await store.ClaimAsync("coder-1", 1, TimeSpan.FromMinutes(30), default)).Single().Lease;
            await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Model, "gpt", "Fix issue #7", "I'll run the tests first.",
                Duration: TimeSpan.FromMilliseconds(1_250), InputTokens: 1_000, OutputTokens: 200, CostUsd: 0.0036m), default);
            await store.AppendStepAsync(lease, new NewJobStep(StepKinds.Tool, "run_tests", "{}", $"{Injection}\ntoken={TestService.Token}", IsError: true,
                Duration: TimeSpan.FromSeconds(3)), default);
        });
        using var chrome = new Chromium();
        var web = chrome.Web;
        var js = (IJavaScriptExecutor)web;
        web.Navigate().GoToUrl(new Uri(service.Http.BaseAddress!, "/dashboard/login"));
        web.FindElement(By.Id("token")).SendKeys(TestService.AdminToken);
        web.FindElement(By.Id("login-submit")).Click();
        chrome.Click($"tr[data-job-id='{running}']");

        // The two stored steps and the totals.
        chrome.Until(d => d.FindElements(By.CssSelector("#steps-list li[data-step-index]")).Count == 2 ? "" : null, "the two stored steps");
        Assert.Equal("2 steps · 1 model turn · 1,000 input tokens · 200 output tokens · $0.0036", chrome.Text("#steps-usage"));
        var first = chrome.Text("#steps-list li[data-step-index='1'] .step-head")!;
        Assert.Contains("#1", first, StringComparison.Ordinal);
        Assert.Contains("gpt", first, StringComparison.Ordinal);
        Assert.Contains("1,000 in / 200 out", first, StringComparison.Ordinal);
        Assert.Contains("error", chrome.Text("#steps-list li[data-step-index='2'] .step-head"), StringComparison.Ordinal);
        js.ExecuteScript("document.querySelector(\"#steps-list li[data-step-index='1']\").__kept = 'yes';"); // gone if the list is re-rendered

        // The agent goes on: a new step shows up without a click, appended after the others.
        await service.Store.AppendStepAsync(lease, new NewJobStep(StepKinds.Model, "gpt", null, "Fixed the parser.", InputTokens: 1_500, OutputTokens: 100, CostUsd: 0.0038m), default);
        chrome.Until(d => d.FindElements(By.CssSelector("#steps-list li[data-step-index='3']")).Count == 1 ? "" : null, "the new step to appear live");
        chrome.Until(_ => chrome.Text("#steps-usage") == "3 steps · 2 model turns · 2,500 input tokens · 300 output tokens · $0.0074" ? "" : null, "the totals to follow");
        Assert.Equal("yes", js.ExecuteScript("return document.querySelector(\"#steps-list li[data-step-index='1']\").__kept;"));
        Assert.Equal("1,2,3", js.ExecuteScript("return [...document.querySelectorAll('#steps-list li[data-step-index]')].map(li => li.dataset.stepIndex).join(',');"));

        // Attack: the failed step's output is HTML and script from the tool, and it holds the manual token.
        // It must show as text, run nothing, and the token must not be on the page at all.
        chrome.Click("#steps-list li[data-step-index='2'] details.output summary");
        var shown = (string?)js.ExecuteScript("return document.querySelector(\"#steps-list li[data-step-index='2'] details.output pre\").textContent;");
        Assert.NotNull(shown);
        Assert.StartsWith(Injection, shown, StringComparison.Ordinal);
        Assert.EndsWith("token=<MANUAL_TRIGGER_TOKEN>", shown, StringComparison.Ordinal);
        Assert.Null(js.ExecuteScript("return window.__pwned ?? null;"));
        Assert.Equal(0L, js.ExecuteScript("return document.querySelectorAll('#steps-list img, #steps-list script, #steps-list b').length;"));
        Assert.DoesNotContain(TestService.Token, web.PageSource, StringComparison.Ordinal);
        output.WriteLine($"Screenshot: {chrome.Screenshot("steps")}");

        // Another job: its own (empty) transcript, not the last one's.
        chrome.Click($"tr[data-job-id='{quiet}']");
        chrome.Until(d => d.FindElement(By.Id("steps-empty")).Displayed ? "" : null, "the no-steps note of a job without a transcript");
        Assert.Empty(web.FindElements(By.CssSelector("#steps-list li")));
        Assert.Equal("No steps yet.", chrome.Text("#steps-usage"));

        var problems = web.Manage().Logs.GetLog(LogType.Browser).Where(l => l.Level >= LogLevel.Warning).Select(l => l.Message).ToList();
        Assert.True(problems.Count == 0, "Browser console: " + string.Join(Environment.NewLine, problems));
    }
}
