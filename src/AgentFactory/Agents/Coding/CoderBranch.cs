using AgentFactory.Workspace;

namespace AgentFactory.Agents.Coding;

/// <summary>
/// The agent's branch (agent-task/issue-N) as the service handles it, never the model: a private worktree of
/// the default branch, moved to the pushed branch when one exists (a rerun, a resumed attempt or a follow-up
/// continues it), and every checkpoint committed and pushed with a lease on the commit last seen, so a push
/// never overwrites work someone else added to the branch meanwhile. The push goes to agents.&lt;name&gt;.remote
/// or the repository on the configured GitHub host, never to a URL from the payload.
/// </summary>
public sealed class CoderBranch : IAsyncDisposable
{
    private readonly Git _git;
    private readonly CoderSettings _settings;
    private readonly GitRemote _remote;
    private string _pushed; // the remote branch's commit as last seen ("" when it does not exist)

    /// <summary>
    /// What tools and tests leave behind and a commit must not take, on top of the repository's own .gitignore
    /// (a repository without one would otherwise get __pycache__ in its pull request).
    /// </summary>
    public static readonly string[] Excluded = ["__pycache__/", "*.pyc", ".pytest_cache/", "node_modules/", ".mypy_cache/", ".ruff_cache/", ".tox/", ".venv/", "*.egg-info/"];

    private CoderBranch(Git git, CoderSettings settings, Worktree tree, GitRemote remote, string name, string baseSha, string pushed)
    {
        (_git, _settings, Tree, _remote, Name, BaseSha, _pushed, RemoteHead) = (git, settings, tree, remote, name, baseSha, pushed, pushed);
    }

    public Worktree Tree { get; }
    public string Path => Tree.Path;
    public string Name { get; }

    /// <summary>The default branch's commit the work is based on.</summary>
    public string BaseSha { get; }

    /// <summary>The branch's commit on the remote when it was opened ("" when it did not exist).</summary>
    public string RemoteHead { get; }

    /// <summary>True when the branch existed on the remote and the worktree continues it.</summary>
    public bool Continued => _pushed.Length > 0;

    public static async Task<CoderBranch> OpenAsync(Worktrees worktrees, RepositorySource source, Git git, CoderSettings settings, GitRemote remote,
        string name, GitTarget baseBranch, string label, CancellationToken ct)
    {
#pragma warning disable CA2000 // owned by the CoderBranch returned (disposed with it), or disposed below when opening fails
        var tree = await worktrees.CheckoutAsync(source, baseBranch, label, ct);
#pragma warning restore CA2000
        try
        {
            var config = GitConfig.For(remote.Auth);
            var fetch = await git.TryRunAsync(tree.Path, ["fetch", "--quiet", "--no-tags", "--end-of-options", remote.Url, $"+refs/heads/{name}"], ct, config);
            var pushed = "";
            if (fetch.ExitCode == 0)
            {
                pushed = (await git.RunAsync(tree.Path, ["rev-parse", "--verify", "FETCH_HEAD^{commit}"], ct)).Trim();
                await git.RunAsync(tree.Path, ["reset", "--quiet", "--hard", pushed], ct);
            }
            return new CoderBranch(git, settings, tree, remote, name, tree.Sha, pushed);
        }
        catch
        {
            await tree.DisposeAsync();
            throw;
        }
    }

    /// <summary>The agent's instructions file as it is on the default branch (never the agent branch or a PR head); null when absent.</summary>
    public async Task<string?> InstructionsAsync(CancellationToken ct)
    {
        var shown = await _git.TryRunAsync(Path, ["show", $"{BaseSha}:{_settings.InstructionsFile}"], ct);
        return shown.ExitCode == 0 && shown.Output.Length > 0 ? shown.Output : null;
    }

    /// <summary>True when the branch has commits the default branch does not.</summary>
    public async Task<bool> HasWorkAsync(CancellationToken ct) =>
        (await _git.RunAsync(Path, ["rev-list", "--count", $"{BaseSha}..HEAD"], ct)).Trim() != "0";

    /// <summary>The files changed on the branch against the default branch, for the pull request body.</summary>
    public async Task<string> DiffStatAsync(CancellationToken ct) =>
        (await _git.RunAsync(Path, ["diff", "--stat", "--no-color", BaseSha, "HEAD"], ct)).TrimEnd();

    /// <summary>Commits whatever the worktree holds (if anything) and pushes the branch; returns the head commit, or null when nothing was ever committed.</summary>
    public async Task<string?> CheckpointAsync(string message, CancellationToken ct)
    {
        var excludes = System.IO.Path.Combine(Tree.Mirror, "info", "agentfactory-exclude");
        if (!File.Exists(excludes))
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(excludes)!);
            await File.WriteAllLinesAsync(excludes, Excluded, ct);
        }
        await _git.RunAsync(Path, ["-c", $"core.excludesFile={excludes}", "add", "--all"], ct);
        var staged = await _git.TryRunAsync(Path, ["diff", "--cached", "--quiet"], ct);
        if (staged.ExitCode != 0)
            await _git.RunAsync(Path, ["-c", $"user.name={_settings.AuthorName}", "-c", $"user.email={_settings.AuthorEmail}", "-c", "commit.gpgsign=false",
                "commit", "--quiet", "--no-verify", "-m", message], ct);
        var head = (await _git.RunAsync(Path, ["rev-parse", "HEAD"], ct)).Trim();
        if (head == BaseSha && !Continued) return null;
        if (head == _pushed) return head;
        var push = await _git.TryRunAsync(Path, ["push", "--quiet", $"--force-with-lease=refs/heads/{Name}:{_pushed}", "--end-of-options", _remote.Url, $"HEAD:refs/heads/{Name}"],
            ct, GitConfig.For(_remote.Auth));
        if (push.ExitCode != 0)
            throw new GitException($"Could not push branch {Name} to {_remote.Url}: {GitRedaction.Redact(push.Output.Trim())}. " + (_settings.Remote is null
                ? "Check that the GitHub credential may push to the repository (Contents: read and write), and that nobody else pushed to the branch meanwhile."
                : $"Check agents.<name>.remote ({_remote.Url}) and its credentials."));
        _pushed = head;
        return head;
    }

    public ValueTask DisposeAsync() => Tree.DisposeAsync();
}
