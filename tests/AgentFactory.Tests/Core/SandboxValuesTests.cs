using AgentFactory.Sandbox;

namespace AgentFactory.Tests.Core;

/// <summary>The values an agent's sandbox is described with: the network allowlist's host:port entries, limits and results.</summary>
public sealed class SandboxValuesTests
{
    [Theory]
    [InlineData("registry.npmjs.org:443", "registry.npmjs.org", 443)]
    [InlineData(" Example.COM :8080", "example.com", 8080)]
    [InlineData("h:1", "h", 1)]
    [InlineData("h:65535", "h", 65535)]
    [InlineData("my-host.internal:80", "my-host.internal", 80)]
    public void A_host_and_port_is_read_with_the_host_in_lower_case(string text, string host, int port)
    {
        var parsed = HostPort.TryParse(text);
        Assert.Equal(new HostPort(host, port), parsed);
        Assert.Equal($"{host}:{port}", parsed!.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("example.com")]
    [InlineData(":443")]
    [InlineData("  :443")]
    [InlineData("example.com:")]
    [InlineData("example.com:0")]
    [InlineData("example.com:65536")]
    [InlineData("example.com:+443")]
    [InlineData("example.com: 443")]
    [InlineData("example.com:https")]
    [InlineData("exa_mple.com:443")]
    [InlineData("user@example.com:443")]
    [InlineData("[::1]:443")]
    [InlineData("example.com:443:1")]
    public void Anything_but_host_colon_port_is_refused(string? text) => Assert.Null(HostPort.TryParse(text));

    [Fact]
    public void A_host_name_is_at_most_253_characters()
    {
        var longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 4))[..253];
        Assert.Equal(longest, HostPort.TryParse(longest + ":443")!.Host);
        Assert.Null(HostPort.TryParse(longest + "a:443"));
    }

    [Fact]
    public void A_jobs_default_policy_writes_only_its_paths_and_reaches_no_network()
    {
        var policy = SandboxPolicy.ForJob(7, "/work/7", "/cache/7");
        Assert.Equal(7, policy.JobId);
        Assert.Equal(["/work/7", "/cache/7"], policy.WritablePaths);
        Assert.Empty(policy.HiddenPaths);
        Assert.Empty(policy.Network);
        Assert.True(policy.Enabled);
        Assert.Same(SandboxLimits.Default, policy.Limits);
        Assert.Equal(new SandboxLimits(2L << 30, 256, 1L << 30, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(30)), SandboxLimits.Default);
    }

    [Fact]
    public void Output_is_truncated_only_past_the_limit()
    {
        Assert.False(new ProcessResult(0, "abc", 10).Truncated(10));
        Assert.True(new ProcessResult(0, "abc", 11).Truncated(10));
    }
}
