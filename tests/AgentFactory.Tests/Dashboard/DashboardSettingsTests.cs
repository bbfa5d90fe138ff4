using AgentFactory.Dashboard;
using AgentFactory.Hosting;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Dashboard;

public sealed class DashboardSettingsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private DashboardSettings Load(Dictionary<string, string> env, bool createToken = true) =>
        DashboardSettingsLoader.Load(k => env.GetValueOrDefault(k), _dir.Path, createToken);

    [Fact]
    public void Admin_token_is_generated_once_owner_only_and_reused()
    {
        var first = Load([]);
        var again = Load([]);
        Assert.Equal(first.AdminToken, again.AdminToken);
        Assert.True(first.AdminToken.Length >= 40);
        Assert.Equal(_dir.File("admin-token"), first.AdminTokenSource);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.AdminTokenSource));
        Assert.Empty(first.AdminUrls);
        Assert.Equal(_dir.File("keys"), first.KeysDirectory);
    }

    [Fact]
    public void Admin_token_comes_from_the_variable_or_its_file()
    {
        Assert.Equal("from-the-environment-123", Load(new() { ["ADMIN_TOKEN"] = "from-the-environment-123" }).AdminToken);
        File.WriteAllText(_dir.File("secret"), "from-a-secret-file-4567\n");
        var fromFile = Load(new() { ["ADMIN_TOKEN_FILE"] = _dir.File("secret") });
        Assert.Equal("from-a-secret-file-4567", fromFile.AdminToken);
        Assert.False(File.Exists(_dir.File("admin-token")));
    }

    [Fact]
    public void Problems_name_the_variable_and_never_echo_the_token()
    {
        var e = Assert.Throws<SettingsException>(() => Load(new() { ["ADMIN_TOKEN"] = "tiny-token", ["ADMIN_URLS"] = "127.0.0.1;http://127.0.0.1:0;http://127.0.0.1:8001/sub" }));
        Assert.Contains("ADMIN_TOKEN must be at least 16", e.Message, StringComparison.Ordinal);
        Assert.Contains("ADMIN_URLS entry '127.0.0.1'", e.Message, StringComparison.Ordinal);
        Assert.Contains("ADMIN_URLS entry 'http://127.0.0.1:0'", e.Message, StringComparison.Ordinal);
        Assert.Contains("ADMIN_URLS entry 'http://127.0.0.1:8001/sub'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("tiny-token", e.Message, StringComparison.Ordinal);
        Assert.Throws<SettingsException>(() => Load(new() { ["ADMIN_TOKEN_FILE"] = _dir.File("missing") }));
    }

    [Fact]
    public void Admin_urls_give_the_ports_the_admin_surface_answers_on()
    {
        var s = Load(new() { ["ADMIN_URLS"] = "http://127.0.0.1:8001; http://[::1]:8002,http://*:8003" });
        Assert.Equal(["http://127.0.0.1:8001", "http://[::1]:8002", "http://*:8003"], s.AdminUrls);
        Assert.Equal([8001, 8002, 8003], s.AdminPorts.Order());
    }

    [Fact]
    public void Without_a_token_and_without_permission_to_create_one_it_says_so()
    {
        var e = Assert.Throws<SettingsException>(() => Load([], createToken: false));
        Assert.Contains("ADMIN_TOKEN", e.Message, StringComparison.Ordinal);
    }
}
