using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AgentFactory.Jobs;
using AgentFactory.Queue;
using AgentFactory.Queue.Sqlite;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;
using Microsoft.Data.Sqlite;

namespace AgentFactory.Tests.Hosting;

/// <summary>
/// What an agent prints is untrusted: a token it echoes (in a remote URL, or on its own) never reaches
/// the job row, a chat notice or the service's log. And the data directory and SQLite files are
/// owner-only whatever existed before.
/// </summary>
public sealed class SecretRedactionTests : IDisposable
{
    private const string GitHubToken = "ghp_EEEEleakedbyagent0123456789abcdefgh";
    private const string LlmKey = "sk-FFFF-leaked-by-agent-0123456789";

    /// <summary>Not a configured secret: only the URL's userinfo gives it away.</summary>
    private const string UrlToken = "ghs_GGGGminted0123456789abcdefghijklm";

    private readonly TempDir _dir = new();
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        foreach (var p in _processes.Where(p => !p.HasExited)) p.Kill(entireProcessTree: true);
        foreach (var p in _processes) p.Dispose();
        _dir.Dispose();
    }

    /// <summary>
    /// Attack: an agent (or a git remote it prints) puts credentials in its output and error; the
    /// service stores, logs (LOG_FORMAT=json, structured values included) and posts them to chat.
    /// </summary>
    [Fact]
    public async Task A_token_an_agent_prints_never_reaches_the_row_a_notice_or_the_log()
    {
        await using var chat = await ChatChannels.StartAsync();
        var remote = $"https://x-access-token:{UrlToken}@github.example/octo/widgets.git";
        var script = Scripts.Write(_dir, "leaky.sh",
            $"echo 'pushing to {remote}'; echo 'using {GitHubToken} and {LlmKey}'; echo 'fatal: could not read from {remote}' >&2; exit 3");
        var routing = _dir.File("routing.json");
        await File.WriteAllTextAsync(routing, $$"""
            { "routes": [],
              "jobs": { "leaky": { "agent": "leaky", "manual": true, "maxAttempts": 1, "notify": ["telegram", "slack"] } },
              "agents": { "leaky": { "kind": "command", "command": ["{{script}}"], "permanentExitCodes": [3] } } }
            """);
        var env = new Dictionary<string, string>
        {
            ["AGENTFACTORY_ROUTING"] = routing,
            ["MANUAL_TRIGGER_TOKEN"] = "mtok-redaction-test-0123456789",
            ["GITHUB_TOKEN"] = GitHubToken,
            ["LLM_API_KEY"] = LlmKey,
            ["TELEGRAM_BOT_TOKEN"] = FakeTelegram.Token,
            ["TELEGRAM_CHAT_ID"] = "-1001",
            ["TELEGRAM_API_URL"] = chat.Telegram.BaseUrl.ToString(),
            ["SLACK_WEBHOOK_URL"] = chat.Slack.HookUrl.ToString(),
            ["LOG_FORMAT"] = "json",
        };
        var (process, url, output) = await ServeAsync(env);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        using var manual = new HttpRequestMessage(HttpMethod.Post, "/webhook/manual") { Content = new StringContent("{\"job_type\":\"leaky\"}", Encoding.UTF8, "application/json") };
        manual.Headers.Authorization = new AuthenticationHeaderValue("Bearer", env["MANUAL_TRIGGER_TOKEN"]);
        Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(manual)).StatusCode);

        JobRecord job;
        using (var store = new SqliteJobStore(Path.Combine(_dir.Path, "data", "agentfactory.db"), TimeProvider.System, new QueueSignal()))
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while ((job = (await store.ListJobsAsync(new JobQuery(JobStatus.Failed, "leaky"), deadline.Token)).SingleOrDefault()!) is null)
                await Task.Delay(50, deadline.Token);
            while (!chat.Telegram.Messages.Any() || !chat.Slack.Texts.Any()) await Task.Delay(50, deadline.Token);
        }
        var log = await StopAsync(process, output);
        var row = string.Join('\n', [job.Error, job.Output, .. job.Errors.Select(e => e.Error)]);
        var notices = string.Join('\n', chat.Telegram.Messages.Select(m => m["text"]!.ToString()).Concat(chat.Slack.Texts));
        Assert.Contains("Job 1 (leaky) attempt 1 ended", log, StringComparison.Ordinal); // the job's error path was logged
        foreach (var (where, text) in new[] { ("the job row", row), ("the notices", notices), ("the log", log) })
        {
            foreach (var secret in new[] { GitHubToken, LlmKey, UrlToken })
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{secret} reached {where}:\n{text}");
        }
        // What was there is still readable: the setting's name stands in for its value, the URL keeps its host.
        Assert.Contains("<GITHUB_TOKEN>", row, StringComparison.Ordinal);
        Assert.Contains("https://***@github.example/octo/widgets.git", row, StringComparison.Ordinal);
        Assert.Contains("LLM_API_KEY", notices, StringComparison.Ordinal); // escaped for each chat
    }

    /// <summary>A log line from a part that redacts nothing itself (git sync prints its remote) is redacted on its way to the console.</summary>
    [Fact]
    public async Task A_secret_in_any_log_line_is_replaced_by_its_settings_name()
    {
        var clone = GitRepo.InitWorking(_dir.File("clone"));
        clone.Commit("first", new Dictionary<string, string?> { ["README.md"] = "hello" });
        clone.Git("remote", "add", "origin", $"/nonexistent/{GitHubToken}/widgets.git");
        clone.Git("config", "branch.main.remote", "origin");
        clone.Git("config", "branch.main.merge", "refs/heads/main");
        var env = new Dictionary<string, string>
        {
            ["GITHUB_TOKEN"] = GitHubToken,
            ["GIT_SYNC_ENABLED"] = "true",
            ["GIT_SYNC_PATH"] = clone.Path,
            ["TICK_INTERVAL_SECONDS"] = "1",
        };
        var (process, _, output) = await ServeAsync(env);
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            while (!Snapshot(output).Contains("widgets.git", StringComparison.Ordinal)) await Task.Delay(50, deadline.Token);
        var log = await StopAsync(process, output);

        Assert.Contains("git sync of", log, StringComparison.Ordinal);
        // Git's own messages are redacted at the source (Workspace/GitCredentials, "***"), everything else by the console redactor.
        Assert.True(log.Contains("/nonexistent/<GITHUB_TOKEN>/widgets.git", StringComparison.Ordinal) || log.Contains("/nonexistent/***/widgets.git", StringComparison.Ordinal), log);
        Assert.DoesNotContain(GitHubToken, log, StringComparison.Ordinal);
    }

    private async Task<(Process Process, string Url, StringBuilder Output)> ServeAsync(Dictionary<string, string> env)
    {
        var url = $"http://127.0.0.1:{Support.Cli.FreePort()}";
        var output = new StringBuilder();
        var process = Process.Start(Support.Cli.StartInfo(_dir.Path, env, "serve", "--urls", url))!;
        _processes.Add(process);
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
        return (process, url, output);
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    private static async Task<string> StopAsync(Process process, StringBuilder output)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return Snapshot(output);
    }

    [Fact]
    public async Task A_data_directory_and_database_that_existed_with_wide_modes_become_owner_only()
    {
        var data = Path.Combine(_dir.Path, "data");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)0b111_101_101); // 0755, as `mkdir` under a default umask leaves it
        var db = Path.Combine(data, "agentfactory.db");
        await using (var conn = new SqliteConnection($"Data Source={db};Pooling=false"))
        {
            await conn.OpenAsync();
            await using var wal = conn.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE before_us (x INTEGER);";
            await wal.ExecuteNonQueryAsync();
        }
        File.SetUnixFileMode(db, (UnixFileMode)0b110_100_100); // 0644: what SQLite itself creates

        await using var service = await TestService.StartAsync(configure: o => o.DataDirectory = data);
        await service.Store.EnqueueAsync(new NewJob("anything", "{}"), default); // a write: -wal and -shm exist now

        const UnixFileMode OwnerRw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(OwnerRw | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        foreach (var file in new[] { db, db + "-wal", db + "-shm" })
        {
            Assert.True(File.Exists(file), file);
            Assert.Equal(OwnerRw, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public async Task A_new_database_is_created_owner_only_with_its_wal_and_shm()
    {
        var data = Path.Combine(_dir.Path, "fresh");
        await using var service = await TestService.StartAsync(configure: o => o.DataDirectory = data);
        await service.Store.EnqueueAsync(new NewJob("anything", "{}"), default);

        var db = Path.Combine(data, "agentfactory.db");
        foreach (var file in new[] { db, db + "-wal", db + "-shm" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }
}
