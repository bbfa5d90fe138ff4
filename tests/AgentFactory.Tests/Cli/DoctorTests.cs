using System.Diagnostics;
using AgentFactory.Cli;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Cli;

public sealed class DoctorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<(int Exit, string Out, string Err)> Doctor(Dictionary<string, string>? env = null) =>
        AgentFactory.Tests.Support.Cli.RunAsync(_dir.Path, env ?? [], "doctor");

    private static void Git(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"git {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
    }

    [Fact]
    public async Task Fresh_setup_has_no_problems_only_hints()
    {
        var (exit, output, _) = await Doctor();
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("the first start creates it", output, StringComparison.Ordinal);
        Assert.Contains("No problems found", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "data", "agentfactory.db")));
    }

    [Fact]
    public async Task Secret_file_readable_by_others_is_a_problem_with_the_fix()
    {
        Directory.CreateDirectory(_dir.File("data"));
        var secret = Path.Combine(_dir.Path, "data", "webhook-secret");
        await File.WriteAllTextAsync(secret, "a-secret-that-is-long-enough-0123456789\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var (exit, output, _) = await Doctor();
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains($"fix: chmod 600 {secret}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Weak_secret_is_flagged()
    {
        var (_, output, _) = await Doctor(new() { ["GITHUB_WEBHOOK_SECRET"] = "aaaaaaaaaaaaaaaaaaaaaaa" });
        Assert.Contains("GITHUB_WEBHOOK_SECRET is set but weak", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Git_sync_path_that_is_not_a_repository_is_a_problem()
    {
        var (exit, output, _) = await Doctor(new() { ["GIT_SYNC_ENABLED"] = "true", ["GIT_SYNC_PATH"] = _dir.Path });
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("is not a git working copy", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Git_working_copy_that_reaches_its_remote_is_fine()
    {
        var remote = Directory.CreateDirectory(_dir.File("remote.git")).FullName;
        var clone = _dir.File("clone");
        Git(remote, "init", "--bare", "-q");
        Git(_dir.Path, "clone", "-q", remote, clone);
        Git(clone, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "--allow-empty", "-q", "-m", "init");
        Git(clone, "push", "-q", "origin", "HEAD");
        var (exit, output, _) = await Doctor(new() { ["GIT_SYNC_ENABLED"] = "true", ["GIT_SYNC_PATH"] = clone });
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("reaches its remote", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_database_is_a_problem_that_names_the_setting_to_check()
    {
        Directory.CreateDirectory(_dir.File("data"));
        await File.WriteAllTextAsync(Path.Combine(_dir.Path, "data", "agentfactory.db"), "this is not a SQLite database, it is a text file of some length");
        var (exit, output, _) = await Doctor();
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("FAIL  database:", output, StringComparison.Ordinal);
        Assert.Contains("fix: check that", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accepted_github_token_is_reported_ok_and_a_rejected_one_is_a_problem_with_the_fix()
    {
        await using var github = await AgentFactory.Tests.Support.Fakes.FakeGitHubHooks.StartAsync("ghp_good");
        var (exit, output, _) = await Doctor(new() { ["GITHUB_TOKEN"] = "ghp_good", ["GITHUB_API_URL"] = github.ApiUrl.ToString() });
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("ok    GitHub accepts GITHUB_TOKEN", output, StringComparison.Ordinal);
        Assert.Contains("/rate_limit", Assert.Single(github.Requests).Path, StringComparison.Ordinal);

        (exit, output, _) = await Doctor(new() { ["GITHUB_TOKEN"] = "ghp_revoked", ["GITHUB_API_URL"] = github.ApiUrl.ToString() });
        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("FAIL  GitHub rejected GITHUB_TOKEN", output, StringComparison.Ordinal);
        Assert.Contains("fix: create a new token and set GITHUB_TOKEN", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Github_app_credentials_are_checked_with_the_app_jwt()
    {
        await using var github = await AgentFactory.Tests.Support.Fakes.FakeGitHubHooks.StartAsync();
        using var key = System.Security.Cryptography.RSA.Create(2048);
        github.AppId = 4242;
        github.AppPublicKey = key;
        var (exit, output, _) = await Doctor(new()
        {
            ["GITHUB_APP_ID"] = "4242", ["GITHUB_APP_PRIVATE_KEY"] = key.ExportRSAPrivateKeyPem(), ["GITHUB_API_URL"] = github.ApiUrl.ToString(),
        });
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("GitHub accepts GitHub App 4242", output, StringComparison.Ordinal);
        Assert.StartsWith("Bearer ", Assert.Single(github.Requests).Authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Github_agents_without_credentials_are_a_warning_naming_the_variables()
    {
        var (exit, output, _) = await Doctor();
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Matches(@"warn  GitHub: agents .* need GitHub access but no credentials are set", output);
        Assert.Contains("set GITHUB_TOKEN, or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_github_is_a_warning_not_a_problem()
    {
        var (exit, output, _) = await Doctor(new() { ["GITHUB_TOKEN"] = "ghp_x", ["GITHUB_API_URL"] = $"http://127.0.0.1:{AgentFactory.Tests.Support.Cli.FreePort()}/" });
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("warn  GitHub: could not check GITHUB_TOKEN", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_says_where_agents_get_code_and_that_a_worktree_directory_others_may_write_is_a_problem()
    {
        var clone = _dir.File("widgets");
        Git(_dir.Path, "init", "-q", clone);
        var worktrees = Directory.CreateDirectory(Path.Combine(_dir.Path, "data", "worktrees")).FullName;
        File.SetUnixFileMode(worktrees, (UnixFileMode)0b111_111_111);

        var (exit, output, _) = await Doctor(new() { ["REPOSITORY_PATHS"] = $"octo/widgets={clone}", ["GITHUB_API_URL"] = "https://github.example.com/api/v3/" });

        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains($"ok    repositories: octo/widgets comes from the clone {clone} (REPOSITORY_PATHS)", output, StringComparison.Ordinal);
        Assert.Contains("warn  repositories: other repositories come from https://github.example.com/<owner>/<name>.git without a credential", output, StringComparison.Ordinal);
        Assert.Contains($"FAIL  worktrees: {worktrees} may be written by other users (mode 777)", output, StringComparison.Ordinal);
        Assert.Contains($"fix: remove {worktrees} (the service re-creates it with mode 0700)", output, StringComparison.Ordinal);
    }
}
