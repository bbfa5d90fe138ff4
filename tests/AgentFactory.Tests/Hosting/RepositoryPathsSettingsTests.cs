using AgentFactory.Hosting;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Hosting;

/// <summary>REPOSITORY_PATHS: which repositories come from a local clone, checked at start.</summary>
public sealed class RepositoryPathsSettingsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private AgentFactory.Options.AgentFactoryOptions Load(string value) =>
        SettingsLoader.Load(k => k switch { "AGENTFACTORY_DATA_DIR" => _dir.Path, "REPOSITORY_PATHS" => value, _ => null }, createSecrets: false);

    [Fact]
    public void Entries_map_repositories_case_insensitively_to_working_or_bare_clones()
    {
        var working = GitRepo.InitWorking(_dir.File("widgets"));
        var bare = GitRepo.InitBare(_dir.File("gadgets.git"));

        var paths = Load($"Octo/Widgets={working.Path}, octo/gadgets = {bare.Path}").RepositoryPaths;

        Assert.Equal(working.Path, paths["octo/widgets"]);
        Assert.Equal(bare.Path, paths["octo/gadgets"]);
        Assert.Empty(SettingsLoader.Load(k => k == "AGENTFACTORY_DATA_DIR" ? _dir.Path : null, createSecrets: false).RepositoryPaths);
    }

    [Fact]
    public void Every_bad_entry_is_reported_with_the_form_to_use()
    {
        var notRepo = Directory.CreateDirectory(_dir.File("plain")).FullName;
        var clone = GitRepo.InitWorking(_dir.File("clone")).Path;

        var e = Assert.Throws<SettingsException>(() => Load($"octo-widgets, octo/widgets=relative/path, octo/plain={notRepo}, a/b={clone}, A/B={clone}"));

        Assert.Contains("REPOSITORY_PATHS entries are owner/name=/absolute/path/to/a/clone, comma-separated (got 'octo-widgets')", e.Message, StringComparison.Ordinal);
        Assert.Contains("the path for octo/widgets must be absolute", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{notRepo} (for octo/plain) is not a git repository", e.Message, StringComparison.Ordinal);
        Assert.Contains("REPOSITORY_PATHS names A/B twice", e.Message, StringComparison.Ordinal);
    }
}
