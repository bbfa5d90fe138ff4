using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Tests.Support;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace AgentFactory.Tests.Browser;

/// <summary>The dashboard in a real headless Chromium against the real service, as an operator uses it.</summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    private const string Failure = "upstream exploded: HTTP 502 from the reports API";

    /// <summary>
    /// nightly_report runs a real script that holds until the test opens its gate file, so the page
    /// must learn of the completion from the live stream, not from the Retry click's own refresh.
    /// Everything else runs on the built-in log agent.
    /// </summary>
    private static string Routing(string script) => $$"""
        {
          "routes": [],
          "jobs": {
            "nightly_report": { "agent": "report", "maxAttempts": 1, "timeout": "00:01:00" },
            "browser_check": { "agent": "log", "manual": true, "maxAttempts": 3, "timeout": "00:01:00" },
            "*": { "agent": "log", "maxAttempts": 3, "timeout": "00:01:00" }
          },
          "agents": { "report": { "kind": "command", "command": ["{{script}}"] } }
        }
        """;

    /// <summary>A job that failed its only attempt before the service started.</summary>
    private static async Task<long> SeedFailedJobAsync(IJobStore store)
    {
        var id = await store.EnqueueAsync(new NewJob("nightly_report", "{\"report\":\"sales\",\"day\":\"2026-01-02\"}", 0, 1), default);
        var job = (await store.ClaimAsync("earlier-run", 1, TimeSpan.FromMinutes(1), default)).Single();
        await store.FailAsync(job.Lease, new JobFailure(Failure, "fetching sales…", null), default);
        return id;
    }

    [BrowserFact]
    public async Task Operator_logs_in_retries_a_failed_job_and_sees_it_complete_and_a_new_trigger_arrive_live()
    {
        Assert.True(Chromium.Installed, $"CI=true but Chromium is missing: apt-get install -y chromium chromium-driver ({Chromium.Browser}, {Chromium.Driver}).");
        using var dir = new TempDir();
        var gate = dir.File("gate");
        var script = Scripts.Write(dir, "report.sh",
            $"i=0; while [ ! -f '{gate}' ]; do i=$((i+1)); [ $i -gt 1200 ] && exit 1; sleep 0.05; done; echo 'report sent to 12 subscribers'");
        long failed = 0;
        await using var service = await TestService.StartAsync(routingJson: Routing(script), seed: async s => failed = await SeedFailedJobAsync(s));
        using var chrome = new Chromium();
        var web = chrome.Web;

        // Log in: the page sends us to the form; the token goes in once.
        web.Navigate().GoToUrl(new Uri(service.Http.BaseAddress!, "/dashboard"));
        chrome.Until(d => d.Url.EndsWith("/dashboard/login", StringComparison.Ordinal) ? d.Url : null, "the login form");
        output.WriteLine($"Screenshot: {chrome.Screenshot("login")}");
        web.FindElement(By.Id("token")).SendKeys(TestService.AdminToken);
        web.FindElement(By.Id("login-submit")).Click();
        chrome.Until(d => d.Url.EndsWith("/dashboard", StringComparison.Ordinal) ? d.Url : null, "the dashboard after login");

        // The failed job is in the table; its detail shows the attempt's error.
        var row = $"tr[data-job-id='{failed}']";
        chrome.Until(_ => chrome.Text($"{row} td.status") == "failed" ? "" : null, "the failed job in the table");
        chrome.Until(_ => chrome.Text("#live") == "live" ? "" : null, "the live stream to connect");
        Assert.Equal("1", chrome.Text("#count-failed"));
        ((IJavaScriptExecutor)web).ExecuteScript("window.__sameDocument = 'yes';"); // gone if the page reloads
        chrome.Click(row);
        chrome.Until(_ => chrome.Text("#detail-errors")?.Contains(Failure, StringComparison.Ordinal) == true ? "" : null, "the error in the job detail");
        Assert.Contains("\"report\": \"sales\"", chrome.Text("#detail-payload"), StringComparison.Ordinal);
        Assert.True(web.FindElement(By.Id("btn-retry")).Enabled);
        Assert.False(web.FindElement(By.Id("btn-requeue")).Enabled);

        // Retry: the orchestrator runs it again; once the script is let go, the page follows without a reload.
        chrome.Click("#btn-retry");
        chrome.Until(_ => chrome.Text($"{row} td.status") == "running" ? "" : null, "the retried job to show running");
        File.WriteAllText(gate, "go");
        chrome.Until(_ => chrome.Text($"{row} td.status") == "completed" ? "" : null, "the retried job to show completed");
        chrome.Until(d => d.FindElement(By.Id("detail")).GetAttribute("data-status") == "completed" ? "" : null, "the detail panel to show completed");
        chrome.Until(_ => chrome.Text("#detail-output")?.Contains("report sent", StringComparison.Ordinal) == true ? "" : null, "the agent output in the detail");
        Assert.True(web.FindElement(By.Id("btn-requeue")).Enabled);
        Assert.Equal(JobStatus.Completed, (await service.Store.GetJobAsync(failed, default))!.Status);

        // A manual trigger from outside appears in the jobs table and the deliveries, live.
        var response = await service.Http.SendAsync(service.Manual("{\"job_type\":\"browser_check\",\"payload\":{\"from\":\"curl\"}}"));
        var triggered = (await response.Content.ReadFromJsonAsync<JsonObject>())!["job_id"]!.GetValue<long>();
        chrome.Until(_ => chrome.Text($"tr[data-job-id='{triggered}'] td.status") == "completed" ? "" : null, "the triggered job to appear and complete");
        chrome.Until(_ => web.FindElements(By.CssSelector("#events-body tr[data-event-id]")).Any(tr => tr.Text.Contains("manual", StringComparison.Ordinal) && tr.Text.Contains($"#{triggered}", StringComparison.Ordinal)) ? "" : null,
            "the manual delivery in the deliveries table");
        chrome.Until(_ => chrome.Text("#count-completed") == "2" ? "" : null, "the completed count to reach 2");
        Assert.Equal("yes", ((IJavaScriptExecutor)web).ExecuteScript("return window.__sameDocument;"));

        var problems = web.Manage().Logs.GetLog(LogType.Browser).Where(l => l.Level >= LogLevel.Warning).Select(l => l.Message).ToList();
        Assert.True(problems.Count == 0, "Browser console: " + string.Join(Environment.NewLine, problems)); // CSP violations and script errors land here

        output.WriteLine($"Screenshot: {chrome.Screenshot("dashboard")}");
    }

    [BrowserFact]
    public async Task Pending_jobs_with_no_live_orchestrator_show_a_banner_that_says_to_start_one()
    {
        Assert.True(Chromium.Installed, $"CI=true but Chromium is missing: apt-get install -y chromium chromium-driver ({Chromium.Browser}, {Chromium.Driver}).");
        // Only the webhook role runs: the jobs wait and no orchestrator has a heartbeat.
        await using var service = await TestService.StartAsync(AgentFactory.Hosting.Roles.Webhook, seed: async s =>
        {
            await s.EnqueueAsync(new NewJob("github_push", "{}"), default);
            await s.EnqueueAsync(new NewJob("github_push", "{}"), default);
        });
        using var chrome = new Chromium();
        var web = chrome.Web;
        web.Navigate().GoToUrl(new Uri(service.Http.BaseAddress!, "/dashboard/login"));
        web.FindElement(By.Id("token")).SendKeys(TestService.AdminToken);
        web.FindElement(By.Id("login-submit")).Click();
        chrome.Until(_ => chrome.Text("#count-pending") == "2" ? "" : null, "the pending count");

        chrome.Until(d => d.FindElement(By.Id("no-orchestrator")).Displayed ? "" : null, "the no-orchestrator banner");
        var banner = chrome.Text("#no-orchestrator")!;
        Assert.Contains("2 jobs are waiting and no orchestrator is running", banner, StringComparison.Ordinal);
        Assert.Contains("agentfactory serve", banner, StringComparison.Ordinal);
        Assert.Equal("No orchestrator is running.", chrome.Text("#heartbeats-body"));
        output.WriteLine($"Screenshot: {chrome.Screenshot("no-orchestrator")}");

        // An orchestrator appears (its heartbeat): the banner goes without a reload.
        await service.Store.RecordHeartbeatAsync("orch-late", "{\"running\":0,\"max_concurrent_jobs\":3}", default);
        chrome.Until(d => d.FindElement(By.Id("no-orchestrator")).Displayed ? null : "", "the banner to go once an orchestrator is alive");
        Assert.Contains("orch-late", chrome.Text("#heartbeats-body"), StringComparison.Ordinal);
    }
}
