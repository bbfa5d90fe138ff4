using System.Globalization;
using AgentFactory.Tests.Support;

namespace AgentFactory.Tests.Faults;

/// <summary>
/// What the soak runs against: real git repositories (a bare origin that new commits keep arriving in,
/// the service's own clone of it for git sync, and the release's deploy script), command agents that
/// succeed, fail and time out, and the settings of a default installation with git sync on at a 1 s tick.
/// Every agent process carries <see cref="Marker"/> in its command line (script path or sleep
/// argument), so the test finds them on the host, outside their sandbox's pid namespace.
/// </summary>
public sealed class SoakWorld : IDisposable
{
    public const string Repository = "Codertocat/Hello-World"; // the recorded payloads' repository
    public const string Tag = "v1.0.0";

    private readonly GitRepo _upstream;
    private int _commits;

    public SoakWorld()
    {
        Marker = Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
        Directory.CreateDirectory(Records);
        Directory.CreateDirectory(Dir.File("soak-" + Marker));
        Script("ok", $"sleep 0.2{Marker}");
        Script("fail", $"sleep 0.1{Marker}; exit 3");
        Script("hang", $"sleep 3000.{Marker} & wait"); // outlives its 2 s timeout, with a child

        var origin = GitRepo.InitBare(Dir.File("origin.git"));
        _upstream = GitRepo.Clone(origin.Path, Dir.File("upstream"));
        _upstream.Commit("Deploy script", new Dictionary<string, string?> { ["scripts/deploy.sh"] = Body("deploy", $"sleep 0.3{Marker}") });
        _upstream.Git("update-index", "--chmod=+x", "--", "scripts/deploy.sh");
        _upstream.Git("commit", "--quiet", "--amend", "--no-edit");
        _upstream.Git("tag", Tag);
        _upstream.Git("push", "--quiet", "origin", "main", Tag);
        SyncClone = GitRepo.Clone(origin.Path, Dir.File("sync"));
        Origin = origin.Path;
    }

    public TempDir Dir { get; } = new();
    public string Marker { get; }
    public string Origin { get; }
    public GitRepo SyncClone { get; }
    public string Records => Dir.File("records");
    public string RunsFile => Path.Combine(Records, "runs.txt");
    public string DataDir => Dir.File("data");
    public string WorktreeDir => Path.Combine(DataDir, "worktrees");
    public string ScratchDir => Path.Combine(DataDir, "work");
    public int CommitsPushed => _commits;

    /// <summary>
    /// A push becomes two jobs (its command job and a catch-all audit job on the log agent), a release
    /// two (a deploy in a worktree and the audit job); manual jobs succeed, fail twice, or time out.
    /// </summary>
    public string Routing => $$$"""
        { "routes": [
            { "event": "push", "jobType": "soak_push" },
            { "event": "release", "actions": ["published"], "jobType": "soak_release" },
            { "event": "*", "jobType": "soak_audit", "priority": -10 } ],
          "jobs": {
            "soak_push":    { "agent": "ok",     "maxAttempts": 5, "timeout": "00:00:30" },
            "soak_release": { "agent": "deploy", "maxAttempts": 5, "timeout": "00:00:30" },
            "soak_audit":   { "agent": "log",    "maxAttempts": 5 },
            "soak_ok":      { "agent": "ok",     "manual": true, "maxAttempts": 5, "timeout": "00:00:30" },
            "soak_fail":    { "agent": "fail",   "manual": true, "maxAttempts": 2 },
            "soak_timeout": { "agent": "hang",   "manual": true, "maxAttempts": 1, "timeout": "00:00:02" } },
          "agents": {
            "ok":     { "kind": "command", "command": ["{{{ScriptPath("ok")}}}"],   "writablePaths": ["{{{Records}}}"] },
            "fail":   { "kind": "command", "command": ["{{{ScriptPath("fail")}}}"], "writablePaths": ["{{{Records}}}"] },
            "hang":   { "kind": "command", "command": ["{{{ScriptPath("hang")}}}"], "writablePaths": ["{{{Records}}}"] },
            "deploy": { "kind": "deploy", "command": ["./scripts/deploy.sh", "{{release.tag_name}}"], "checkout": true, "writablePaths": ["{{{Records}}}"] } } }
        """;

    public Dictionary<string, string> Env(string? databaseUrl)
    {
        var env = FaultEnv.For(Dir, Routing, databaseUrl);
        env["AGENTFACTORY_DATA_DIR"] = DataDir;
        env["GIT_SYNC_ENABLED"] = "true";
        env["GIT_SYNC_PATH"] = SyncClone.Path;
        env["TICK_INTERVAL_SECONDS"] = "1";
        env["REPOSITORY_PATHS"] = $"{Repository}={Origin}";
        env["MAX_CONCURRENT_JOBS"] = "4";
        env["RETRY_BASE_DELAY_SECONDS"] = "1";
        env["RETRY_MAX_DELAY_SECONDS"] = "5";
        env["SHUTDOWN_GRACE_SECONDS"] = "5";
        return env;
    }

    /// <summary>A new commit on origin's main, for the service's git sync to pull.</summary>
    public string PushCommit()
    {
        var n = Interlocked.Increment(ref _commits);
        var sha = _upstream.Commit($"Upstream change {n}", new Dictionary<string, string?> { [$"changes/{n % 50}.txt"] = $"change {n}\n" });
        _upstream.Git("push", "--quiet", "origin", "main");
        return sha;
    }

    public string OriginHead() => GitRepo.Run(Origin, "rev-parse", "main").Trim();

    /// <summary>Worktree directories on disk (not their .lock files).</summary>
    public IReadOnlyList<string> Worktrees() => Directory.Exists(WorktreeDir) ? Directory.GetDirectories(WorktreeDir) : [];

    public IReadOnlyList<string> ScratchDirectories() => Directory.Exists(ScratchDir) ? Directory.GetDirectories(ScratchDir) : [];

    /// <summary>Entries in the mirror's `git worktree list` besides the mirror itself.</summary>
    public int RegisteredWorktrees()
    {
        var mirror = Path.Combine(DataDir, "mirrors", "codertocat", "hello-world.git");
        if (!Directory.Exists(mirror)) return 0;
        return GitRepo.Run(mirror, "worktree", "list", "--porcelain").Split('\n').Count(l => l.StartsWith("worktree ", StringComparison.Ordinal)) - 1;
    }

    private string ScriptPath(string name) => Path.Combine(Dir.File("soak-" + Marker), name + ".sh");

    private void Script(string name, string work)
    {
        File.WriteAllText(ScriptPath(name), Body(name, work));
        File.SetUnixFileMode(ScriptPath(name), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Each run appends "kind job attempt start", does its work, then appends "… done" (if it gets there).</summary>
    private string Body(string kind, string work) =>
        $"#!/bin/sh\necho \"{kind} $AF_JOB_ID $AF_ATTEMPT start\" >> '{RunsFile}'\n{work}\necho \"{kind} $AF_JOB_ID $AF_ATTEMPT done\" >> '{RunsFile}'\n";

    public void Dispose() => Dir.Dispose();
}
