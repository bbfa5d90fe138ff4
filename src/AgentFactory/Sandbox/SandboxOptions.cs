namespace AgentFactory.Sandbox;

/// <summary>
/// Where the sandbox's tools are and what every sandbox shares. The per-job parts (writable and hidden
/// paths, network, limits) come from each call's <see cref="SandboxPolicy"/>.
/// </summary>
public sealed record SandboxOptions
{
    public string Bwrap { get; init; } = "/usr/bin/bwrap";

    /// <summary>The in-sandbox forwarder that exposes the egress proxy's Unix socket as 127.0.0.1:<see cref="ProxyPort"/>.</summary>
    public string Socat { get; init; } = "/usr/bin/socat";

    /// <summary>util-linux prlimit: sets the resource limits inside the sandbox's own user namespace.</summary>
    public string Prlimit { get; init; } = "/usr/bin/prlimit";

    /// <summary>Size of the private /tmp (memory-backed tmpfs).</summary>
    public long TmpBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Size of the private /dev/shm.</summary>
    public long ShmBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>The loopback port inside the sandbox where HTTP_PROXY / HTTPS_PROXY point.</summary>
    public int ProxyPort { get; init; } = 3128;

    /// <summary>
    /// Hidden in every sandbox in addition to the policy's: credentials of the host's administrators that
    /// a root-run service could otherwise read (files become /dev/null, directories empty). Missing ones are skipped.
    /// </summary>
    public IReadOnlyList<string> AlwaysHidden { get; init; } =
        ["/root", "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh", "/etc/agentfactory"];

    public static SandboxOptions Default { get; } = new();
}
