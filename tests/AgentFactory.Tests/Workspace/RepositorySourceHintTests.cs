using AgentFactory.GitHub;
using AgentFactory.Workspace;

namespace AgentFactory.Tests.Workspace;

/// <summary>What a failed fetch tells the operator to do, by where the repository comes from.</summary>
public sealed class RepositorySourceHintTests
{
    private static RepositoryName Hello() =>
        RepositoryName.TryParse("Codertocat/Hello-World", out var name) ? name : throw new InvalidOperationException("not a repository name");

    [Fact]
    public void Without_a_credential_the_hint_says_only_public_repositories_can_be_fetched_and_names_the_three_ways_out()
    {
        var source = new RepositorySource(Hello(), new GitRemote("https://github.com/Codertocat/Hello-World.git"), "the git host of GITHUB_API_URL (https://github.com/)", "none");
        Assert.Equal(
            "No GitHub credential is set, so only a public repository can be fetched: check that Codertocat/Hello-World is public on https://github.com/Codertocat/Hello-World.git, " +
            "set GITHUB_TOKEN or the GitHub App (GITHUB_API_URL for Enterprise), or set REPOSITORY_PATHS=codertocat/hello-world=/path/to/a/clone to use a local clone.",
            source.Hint);
    }

    [Fact]
    public void With_a_credential_the_hint_names_it_never_its_value()
    {
        var remote = new GitRemote("https://github.com/Codertocat/Hello-World.git", GitAuth.Token(new Uri("https://github.com/"), "ghp_secret_value_0123456789"));
        var source = new RepositorySource(Hello(), remote, "the git host of GITHUB_API_URL (https://github.com/)", "GITHUB_TOKEN");
        Assert.StartsWith("Check that GITHUB_TOKEN can read Codertocat/Hello-World on https://github.com/Codertocat/Hello-World.git", source.Hint, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_secret_value", source.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_local_clone_hint_names_its_path_and_how_to_fetch_from_github_instead()
    {
        var source = new RepositorySource(Hello(), new GitRemote("/srv/clones/hello"), "REPOSITORY_PATHS", "none");
        Assert.Equal("Check the clone at /srv/clones/hello (REPOSITORY_PATHS), or remove codertocat/hello-world from REPOSITORY_PATHS to fetch it from GitHub.", source.Hint);
    }
}
