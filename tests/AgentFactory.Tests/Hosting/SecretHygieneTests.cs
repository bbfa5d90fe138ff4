using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Hosting;

/// <summary>
/// Secrets never leave the process: the real `agentfactory serve`, logging at DEBUG, is driven
/// through right and wrong signatures, tokens and a failing job; neither its output nor any
/// response body contains a secret.
/// </summary>
public sealed class SecretHygieneTests : IDisposable
{
    private const string WebhookSecret = "whsec-AAAA-never-log-me-0123456789";
    private const string OldSecret = "whsec-OLD-never-log-me-9876543210";
    private const string ManualToken = "mtok-BBBB-never-log-me-0123456789";
    private const string AdminToken = "atok-CCCC-never-log-me-0123456789";
    private const string GitHubToken = "ghp_DDDDneverlogme0123456789abcdefghij";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task No_secret_appears_in_logs_or_responses_even_at_debug_level()
    {
        var port = AgentFactory.Tests.Support.Cli.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var env = new Dictionary<string, string>
        {
            ["GITHUB_WEBHOOK_SECRET"] = $"{OldSecret},{WebhookSecret}",
            ["MANUAL_TRIGGER_TOKEN"] = ManualToken,
            ["ADMIN_TOKEN"] = AdminToken,
            ["GITHUB_TOKEN"] = GitHubToken,
            ["GITHUB_API_URL"] = "http://127.0.0.1:9/", // nothing listens: the code-review job fails
            ["ORCHESTRATOR_LOG_LEVEL"] = "DEBUG",
            ["GITHUB_MAX_RETRIES"] = "0",         // fail fast: the error paths are what matter here
            ["RETRY_BASE_DELAY_SECONDS"] = "0",
        };
        var output = new StringBuilder();
        using var process = Process.Start(AgentFactory.Tests.Support.Cli.StartInfo(_dir.Path, env, "serve", "--urls", url))!;
        var ready = new TaskCompletionSource();
        void Collect(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.Contains("Now listening", StringComparison.Ordinal)) ready.TrySetResult();
        }
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));

        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var bodies = new List<string>();
        async Task Send(HttpRequestMessage request)
        {
            using var response = await http.SendAsync(request);
            bodies.Add(await response.Content.ReadAsStringAsync());
        }
        var push = Fixtures.Read("push", "push");
        await Send(Fixtures.Delivery("push", push, "wrong-secret-0123456789abcdef"));   // 401
        await Send(Fixtures.Delivery("push", push, OldSecret));                         // 202 via the older secret
        var accepted = Fixtures.Delivery("push", push, WebhookSecret);                  // 202, job fails on GitHub access
        await Send(accepted);
        await Send(Manual("wrong-token-0123456789abcdef"));                             // 401
        await Send(Manual(ManualToken));                                                // 202
        var admin = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        admin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-admin-token-012345");
        await Send(admin);                                                              // 401
        var login = new HttpRequestMessage(HttpMethod.Post, "/dashboard/login") { Content = new FormUrlEncodedContent([new("token", "bad-login-token-0123456789")]) };
        await Send(login);

        // Wait until the job that needed GitHub has failed, so its error path has been logged too.
        var store = new AgentFactory.Queue.Sqlite.SqliteJobStore(Path.Combine(_dir.Path, "data", "agentfactory.db"), TimeProvider.System, new AgentFactory.Queue.QueueSignal());
        using (store)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!(await store.ListJobsAsync(new AgentFactory.Jobs.JobQuery(AgentFactory.Jobs.JobStatus.Failed, "github_push"), deadline.Token)).Any())
                await Task.Delay(50, deadline.Token);
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        string all;
        lock (output) all = output.ToString();
        Assert.Contains("dbug", all, StringComparison.Ordinal); // really at DEBUG
        foreach (var secret in new[] { WebhookSecret, OldSecret, ManualToken, AdminToken, GitHubToken })
        {
            Assert.DoesNotContain(secret, all, StringComparison.Ordinal);
            Assert.All(bodies, b => Assert.DoesNotContain(secret, b, StringComparison.Ordinal));
        }
    }

    private static HttpRequestMessage Manual(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhook/manual");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
