using AgentFactory.Agents;
using AgentFactory.GitHub;
using AgentFactory.Tests.Support;
using AgentFactory.Workspace;

namespace AgentFactory.Tests.Workspace;

/// <summary>What may reach git from a payload or a setting, and what git's messages may show.</summary>
public sealed class GitInputTests
{
    [Theory]
    [InlineData("v1.0.0")]
    [InlineData("release/2024-05")]
    [InlineData("feature/a.b_c-d")]
    [InlineData("ünïcödé")]
    [InlineData("v1.1~1")]
    [InlineData("v1.1^2")]
    [InlineData("a..b")]
    [InlineData("a b")]
    [InlineData("a:b")]
    [InlineData("a?b")]
    [InlineData("a*b")]
    [InlineData("a[b")]
    [InlineData("a\\b")]
    [InlineData("a@{1}")]
    [InlineData(".hidden")]
    [InlineData("dir/.hidden")]
    [InlineData("x.lock")]
    [InlineData("dir/x.lock/y")]
    [InlineData("trailing.")]
    [InlineData("trailing/")]
    [InlineData("/leading")]
    [InlineData("double//slash")]
    [InlineData("tab\there")]
    public async Task Tag_and_branch_names_are_what_git_check_ref_format_accepts(string name)
    {
        var gitAccepts = await AcceptsAsync("refs/tags/" + name);
        Assert.Equal(gitAccepts, GitTarget.IsRefName(name));
    }

    [Theory]
    [InlineData("HEAD")]
    [InlineData("@")]
    [InlineData("--upload-pack=touch /tmp/pwned")]
    [InlineData("-x")]
    [InlineData("refs/heads/main")]
    [InlineData("refs/tags/v1")]
    public void Names_git_would_accept_as_refs_but_that_are_options_or_other_refs_are_refused(string name)
    {
        Assert.False(GitTarget.IsRefName(name));
        var e = Assert.Throws<PermanentAgentException>(() => GitTarget.Tag(name, "release.tag_name"));
        Assert.StartsWith("release.tag_name '", e.Message, StringComparison.Ordinal);
        Assert.Contains("is not a tag name", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--upload-pack=touch /tmp/pwned")]
    [InlineData("HEAD")]
    [InlineData("main")]
    [InlineData("0123456789abcdef0123456789abcdef0123456")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF01234567")]
    [InlineData("0123456789abcdef0123456789abcdef01234567~1")]
    public void Commit_that_is_not_forty_lower_case_hex_digits_is_refused(string sha)
    {
        var e = Assert.Throws<PermanentAgentException>(() => GitTarget.Commit(sha, "pull_request.head.sha"));
        Assert.Contains("pull_request.head.sha", e.Message, StringComparison.Ordinal);
        Assert.Contains("is not a commit SHA", e.Message, StringComparison.Ordinal);
        Assert.Equal("0123456789abcdef0123456789abcdef01234567", GitTarget.Commit("0123456789abcdef0123456789abcdef01234567").Name);
    }

    [Theory]
    [InlineData("octo/widgets", true)]
    [InlineData("Codertocat/Hello-World", true)]
    [InlineData("octo/.github", true)]
    [InlineData("octo/../etc", false)]
    [InlineData("../octo", false)]
    [InlineData("octo/..", false)]
    [InlineData("octo/wid gets", false)]
    [InlineData("octo/widgets/extra", false)]
    [InlineData("-octo/widgets", false)]
    [InlineData("octo", false)]
    public void Repository_names_follow_githubs_rules(string fullName, bool valid) =>
        Assert.Equal(valid, RepositoryName.TryParse(fullName, out _));

    [Theory]
    [InlineData("https://api.github.com/", "https://github.com/")]
    [InlineData("https://github.example.com/api/v3/", "https://github.example.com/")]
    [InlineData("https://api.github.example.com/", "https://github.example.com/")]
    [InlineData("http://127.0.0.1:8123/api/v3/", "http://127.0.0.1:8123/")]
    public void The_git_host_comes_from_the_configured_api_url(string api, string git) =>
        Assert.Equal(git, GitHubSettings.GitUrlFor(new Uri(api)).AbsoluteUri);

    [Fact]
    public void Password_in_a_configured_url_moves_out_of_the_url_into_a_header_for_that_url()
    {
        var remote = GitRemote.FromConfigured("https://x-access-token:TOKEN123@git.example.com/octo/widgets.git");

        Assert.Equal("https://git.example.com/octo/widgets.git", remote.Url);
        Assert.Equal("https://git.example.com/octo/widgets.git", remote.Auth!.Scope.AbsoluteUri);
        var env = new Dictionary<string, string>();
        GitConfig.For(remote.Auth).AddTo(env);
        Assert.Equal("http.https://git.example.com/octo/widgets.git.extraHeader", env["GIT_CONFIG_KEY_0"]);
        Assert.Equal("Authorization: Basic " + Convert.ToBase64String("x-access-token:TOKEN123"u8.ToArray()), env["GIT_CONFIG_VALUE_0"]);
        Assert.Null(GitRemote.FromConfigured("/srv/repos/widgets.git").Auth);
        Assert.Null(GitRemote.FromConfigured("git@github.com:octo/widgets.git").Auth);
    }

    [Theory]
    [InlineData("fatal: unable to access 'https://x-access-token:TOKEN123@host/r.git/': 403")]
    [InlineData("remote: https://TOKEN123@host/r.git")]
    [InlineData("Authorization: Basic TOKEN123")]
    [InlineData("token ghp_abcdefghijklmnopqrstuvwxyz0123456789")]
    public void Credentials_are_cut_out_of_what_git_prints(string text)
    {
        var redacted = GitRedaction.Redact(text, ["TOKEN123"]);
        Assert.DoesNotContain("TOKEN123", redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_abc", redacted, StringComparison.Ordinal);
        Assert.Contains(GitRedaction.Mask, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failing_git_command_with_a_token_in_its_url_says_what_failed_without_the_token()
    {
        using var dir = new TempDir();
        var e = await Assert.ThrowsAsync<GitException>(() =>
            TestProcesses.Git().RunAsync(dir.Path, ["ls-remote", "http://x-access-token:TOKEN123@127.0.0.1:1/octo/widgets.git"], default));
        Assert.Contains("git ls-remote http://***@127.0.0.1:1/octo/widgets.git failed", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TOKEN123", e.Message, StringComparison.Ordinal);
    }

    private static async Task<bool> AcceptsAsync(string refName)
    {
        using var dir = new TempDir();
        return (await TestProcesses.Git().TryRunAsync(dir.Path, ["check-ref-format", refName], default)).ExitCode == 0;
    }
}
