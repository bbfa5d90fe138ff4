using System.Diagnostics;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Deployment;

/// <summary>
/// The files in deploy/ are checked by the tools that will read them: `systemd-analyze verify` for the
/// units and `nginx -t` for the site. CI installs both; elsewhere a missing tool fails with how to get it.
/// </summary>
public sealed class DeployFilesTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Repo([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", ".."));

    private static async Task<(int Exit, string Output)> Run(string file, string workDir, params string[] args)
    {
        var path = new[] { "/usr/bin", "/usr/sbin", "/bin", "/sbin" }.Select(d => Path.Combine(d, file)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"{file} is not installed: apt-get install {(file == "nginx" ? "nginx-light" : "systemd")} (.ci/run does this).");
        var psi = new ProcessStartInfo(path) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output);
    }

    [ToolTheory("systemd-analyze")]
    [InlineData("agentfactory.service")]
    [InlineData("agentfactory-webhook.service")]
    [InlineData("agentfactory-orchestrator.service")]
    public async Task Systemd_unit_verifies_cleanly(string unit)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(Repo(), "deploy", "systemd", unit));
        Assert.Contains("Type=notify", text, StringComparison.Ordinal);
        // The unit names the installed binary; point it at the one this build produced so verify can check it.
        var copy = Path.Combine(_dir.Path, unit);
        await File.WriteAllTextAsync(copy, text.Replace("/opt/agentfactory/agentfactory", Path.Combine(AppContext.BaseDirectory, "agentfactory"), StringComparison.Ordinal));
        var (exit, output) = await Run("systemd-analyze", _dir.Path, "verify", copy);
        Assert.True(exit == 0 && output.Trim().Length == 0, $"systemd-analyze verify {unit}: exit {exit}\n{output}");
    }

    [ToolFact("nginx", "openssl")]
    public async Task Nginx_site_passes_nginx_t_and_limits_bodies_to_githubs_cap()
    {
        var site = await File.ReadAllTextAsync(Path.Combine(Repo(), "deploy", "nginx", "agentfactory.conf"));
        Assert.Contains("client_max_body_size 25m;", site, StringComparison.Ordinal);
        Assert.Contains("location /webhook", site, StringComparison.Ordinal);

        var (certExit, certOut) = await Run("openssl", _dir.Path, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=test");
        Assert.True(certExit == 0, certOut);
        site = site.Replace("/etc/letsencrypt/live/your-domain.com/fullchain.pem", _dir.File("cert.pem"), StringComparison.Ordinal)
                   .Replace("/etc/letsencrypt/live/your-domain.com/privkey.pem", _dir.File("key.pem"), StringComparison.Ordinal);
        await File.WriteAllTextAsync(_dir.File("site.conf"), site);
        await File.WriteAllTextAsync(_dir.File("nginx.conf"), $"pid {_dir.File("nginx.pid")};\nerror_log stderr;\nevents {{}}\nhttp {{\n include {_dir.File("site.conf")};\n}}\n");
        var (exit, output) = await Run("nginx", _dir.Path, "-t", "-p", _dir.Path, "-c", _dir.File("nginx.conf"));
        Assert.True(exit == 0, output);
        Assert.Contains("test is successful", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("agentfactory.service")]
    [InlineData("agentfactory-orchestrator.service")]
    public async Task Units_that_run_agents_leave_the_sandbox_its_namespaces_and_bound_it(string unit)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(Repo(), "deploy", "systemd", unit));
        var settings = text.Split('\n').Where(l => !l.TrimStart().StartsWith('#')).ToList();
        foreach (var breaks in new[] { "PrivateUsers=", "ProtectKernelTunables=", "ProtectKernelLogs=", "ProcSubset=", "RestrictNamespaces=" })
            Assert.DoesNotContain(settings, l => l.StartsWith(breaks, StringComparison.Ordinal));
        Assert.Contains(settings, l => l.StartsWith("MemoryMax=", StringComparison.Ordinal));
        Assert.Contains(settings, l => l.StartsWith("TasksMax=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_image_and_compose_carry_what_the_sandbox_needs()
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(Repo(), "deploy", "docker", "Dockerfile"));
        Assert.Contains("bubblewrap", dockerfile, StringComparison.Ordinal);
        Assert.Contains("socat", dockerfile, StringComparison.Ordinal);
        var compose = await File.ReadAllTextAsync(Path.Combine(Repo(), "deploy", "docker-compose.yml"));
        var orchestrator = compose[compose.IndexOf("  orchestrator:", StringComparison.Ordinal)..];
        foreach (var option in new[] { "seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined" })
            Assert.Contains(option, orchestrator, StringComparison.Ordinal);
    }
}
