using System.Text.Json.Nodes;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>
/// The "files" array GitHub returns for compare, commit and pull-request files, computed with real
/// git from the fake's repository: filename, status, additions, deletions, changes and patch.
/// </summary>
public static class GitDiffFiles
{
    public static JsonArray Between(string repo, string @base, string head) =>
        Parse(GitRepo.Run(repo, "diff", "--no-color", "--no-renames", @base, head));

    public static JsonArray OfCommit(string repo, string sha) =>
        Parse(GitRepo.Run(repo, "show", "--no-color", "--no-renames", "--format=", sha));

    private static JsonArray Parse(string diff)
    {
        var files = new JsonArray();
        foreach (var block in diff.Split("diff --git ", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            var path = lines[0][(lines[0].IndexOf(" b/", StringComparison.Ordinal) + 3)..].Trim();
            var status = lines.Any(l => l.StartsWith("new file mode", StringComparison.Ordinal)) ? "added"
                : lines.Any(l => l.StartsWith("deleted file mode", StringComparison.Ordinal)) ? "removed" : "modified";
            var hunkStart = Array.FindIndex(lines, l => l.StartsWith("@@", StringComparison.Ordinal));
            var patchLines = hunkStart < 0 ? [] : lines[hunkStart..].Where(l => l.Length > 0).ToArray();
            var additions = patchLines.Count(l => l.StartsWith('+'));
            var deletions = patchLines.Count(l => l.StartsWith('-'));
            var file = new JsonObject
            {
                ["sha"] = "0000000000000000000000000000000000000001",
                ["filename"] = path,
                ["status"] = status,
                ["additions"] = additions,
                ["deletions"] = deletions,
                ["changes"] = additions + deletions,
                ["blob_url"] = $"https://github.example/blob/{path}",
                ["raw_url"] = $"https://github.example/raw/{path}",
                ["contents_url"] = $"https://github.example/contents/{path}",
            };
            if (hunkStart >= 0) file["patch"] = string.Join('\n', patchLines);
            files.Add(file);
        }
        return files;
    }
}
