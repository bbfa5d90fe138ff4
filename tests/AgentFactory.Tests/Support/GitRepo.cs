using System.Diagnostics;

namespace AgentFactory.Tests.Support;

/// <summary>Real git repositories for tests: a bare "GitHub" remote, working clones, commits and tags.</summary>
public sealed class GitRepo(string path)
{
    public string Path { get; } = path;

    public static GitRepo InitBare(string path) => Init(path, "--bare");

    public static GitRepo InitWorking(string path) => Init(path);

    public static GitRepo Clone(string remote, string path)
    {
        Run(System.IO.Path.GetDirectoryName(path)!, "clone", "--quiet", remote, path);
        return new GitRepo(path);
    }

    private static GitRepo Init(string path, params string[] flags)
    {
        Directory.CreateDirectory(path);
        Run(path, ["init", "--quiet", "-b", "main", .. flags]);
        return new GitRepo(path);
    }

    /// <summary>Writes the files (null content deletes), commits them and returns the new sha.</summary>
    public string Commit(string message, IReadOnlyDictionary<string, string?> files)
    {
        foreach (var (name, content) in files)
        {
            var full = System.IO.Path.Combine(Path, name);
            if (content is null)
            {
                Git("rm", "--quiet", "--", name);
                continue;
            }
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
            Git("add", "--", name);
        }
        Git("commit", "--quiet", "-m", message);
        return Head();
    }

    public string Head() => Git("rev-parse", "HEAD").Trim();

    public string Git(params string[] args) => Run(Path, args);

    public static string Run(string directory, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GIT_AUTHOR_NAME"] = psi.Environment["GIT_COMMITTER_NAME"] = "Test Author";
        psi.Environment["GIT_AUTHOR_EMAIL"] = psi.Environment["GIT_COMMITTER_EMAIL"] = "test@example.com";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(60_000)) throw new TimeoutException($"git {string.Join(' ', args)} did not finish");
        if (process.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {stderr}");
        return stdout.Result;
    }
}
