using AgentFactory.Agents.CodeReview;
using AgentFactory.Tests.Support;
using AgentFactory.Tests.Support.Fakes;

namespace AgentFactory.Tests.Agents;

/// <summary>The pieces of the line-by-line review: diff positions, the model's JSON, ranking, placing findings, the severity setting. Pure.</summary>
public sealed class LineReviewTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A 40-line file changed at lines 3 and 20, a line inserted after 30 and the old line 38 changed in a real git repository: three hunks in one patch.</summary>
    private (string Patch, string[] NewLines) MultiHunkPatch()
    {
        var repo = GitRepo.InitWorking(_dir.File("repo"));
        var old = Enumerable.Range(1, 40).Select(i => $"line {i}").ToArray();
        var first = repo.Commit("first", new Dictionary<string, string?> { ["src/app.txt"] = string.Join('\n', old) + "\n" });
        var changed = old.ToArray();
        changed[2] = "line 3 changed";
        changed[19] = "line 20 changed";
        var lines = changed.Take(30).Append("inserted after 30").Concat(changed.Skip(30)).ToList();
        lines[38] = "line 38 changed"; // new line 39: line 31 was inserted above it
        var second = repo.Commit("second", new Dictionary<string, string?> { ["src/app.txt"] = string.Join('\n', lines) + "\n" });
        var file = Assert.Single(GitDiffFiles.Between(repo.Path, first, second));
        return (file!["patch"]!.GetValue<string>(), [.. lines]);
    }

    [Fact]
    public void Positions_on_a_real_multi_hunk_patch_point_at_the_new_side_line_they_map()
    {
        var (patch, newLines) = MultiHunkPatch();
        var rows = patch.Split('\n');
        Assert.True(rows.Count(r => r.StartsWith("@@", StringComparison.Ordinal)) >= 2, patch);
        var map = PatchPositions.Map(patch);
        foreach (var line in new[] { 3, 20, 31, 39 })
        {
            Assert.True(map.TryGetValue(line, out var position), $"line {line} has no position in\n{patch}");
            // Position counts from the line under the first "@@" (1), hunk headers after it included.
            Assert.Equal("+" + newLines[line - 1], rows[position]);
        }
        foreach (var (line, position) in map) Assert.Equal(newLines[line - 1], rows[position][1..]);
        Assert.False(map.ContainsKey(12), "line 12 is outside every hunk");
        Assert.DoesNotContain(map.Values, p => rows[p].StartsWith('-') || rows[p].StartsWith("@@", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"summary\": \"Mostly fine.\", \"findings\": [{\"file\": \"a.cs\", \"line\": 4, \"severity\": \"error\", \"message\": \"Null dereference.\"}]}")]
    [InlineData("Here is my review:\n```json\n{\"summary\": \"Mostly fine.\", \"findings\": [{\"path\": \"b/a.cs\", \"line\": \"4\", \"severity\": \"ERROR\", \"message\": \"Null dereference.\"},]}\n```\nThanks!")]
    public void Model_json_is_read_from_a_bare_reply_or_a_fence_among_prose(string reply)
    {
        var review = ModelFindings.Parse(reply);
        Assert.True(review.Structured);
        Assert.Equal("Mostly fine.", review.Summary);
        var f = Assert.Single(review.Findings);
        Assert.Equal(("a.cs", 4, ReviewSeverity.Error, "Null dereference."), (f.Path, f.Line, f.Severity, f.Message));
    }

    [Theory]
    [InlineData("{\"summary\": \"cut off mid-")]
    [InlineData("- a.cs line 4: null dereference")]
    [InlineData("[1, 2")]
    public void A_reply_that_is_not_the_json_asked_for_becomes_the_summary(string reply)
    {
        var review = ModelFindings.Parse(reply);
        Assert.False(review.Structured);
        Assert.Equal(reply, review.Summary);
        Assert.Empty(review.Findings);
    }

    [Fact]
    public void Findings_without_a_message_are_skipped_and_odd_lines_and_severities_are_tolerated()
    {
        var review = ModelFindings.Parse("{\"findings\": [{\"file\": \"a\", \"line\": -3, \"message\": \"m\"}, {\"file\": \"b\"}, {\"file\": \"c\", \"line\": 2.5, \"severity\": \"??\", \"message\": \"n\"}]}");
        Assert.Equal([("a", (int?)null, ReviewSeverity.Warning), ("c", null, ReviewSeverity.Warning)], review.Findings.Select(f => (f.Path, f.Line, f.Severity)));
    }

    [Fact]
    public void Ranking_puts_source_first_smaller_changes_first_and_lock_and_generated_files_last()
    {
        FileChange F(string path, int changes, string? patch = "@@ -1 +1 @@\n+x") => new(path, "modified", changes, 0, patch);
        var ranked = DiffBudget.Rank([F("package-lock.json", 1), F("src/big.cs", 400), F("dist/app.min.js", 2), F("src/small.cs", 3), F("image.png", 0, null)]);
        Assert.Equal(["src/small.cs", "src/big.cs", "image.png", "package-lock.json", "dist/app.min.js"], ranked.Select(f => f.Path));
    }

    [Fact]
    public void Findings_on_diff_lines_go_inline_others_to_the_summary_and_those_already_posted_are_not_repeated()
    {
        var (patch, _) = MultiHunkPatch();
        var files = new[] { new FileChange("src/app.txt", "modified", 4, 3, patch) };
        ReviewFinding F(int? line, string message, string path = "src/app.txt") => new(path, line, ReviewSeverity.Warning, message, "model");
        var plan = InlineComments.Plan(
            [F(3, "first"), F(12, "outside the hunks"), F(20, "already said"), F(null, "whole file"), F(1, "other file", "src/other.txt"), F(3, "first")],
            files, [new ExistingComment("src/app.txt", 20, "🟠 **warning**: already   said")]);
        Assert.Equal(["first"], plan.Inline.Select(c => c.Finding.Message));
        Assert.Equal(["outside the hunks", "whole file", "other file"], plan.Elsewhere.Select(f => f.Message));
        Assert.Equal(1, plan.Repeated);
    }

    [Theory]
    [InlineData("loud")]
    [InlineData("")]
    public void An_unknown_min_severity_is_refused_naming_the_accepted_values(string value)
    {
        var problem = new CodeReviewSettings { MinSeverity = value }.Problem("code-review");
        Assert.Equal($"agents.code-review.minSeverity is \"{value}\"; use \"info\", \"warning\" or \"error\" (findings below it are not posted).", problem);
        Assert.Null(new CodeReviewSettings { MinSeverity = "Warning" }.Problem("code-review"));
    }

    [Fact]
    public void Hidden_markers_are_read_from_the_last_one_and_the_models_text_cannot_carry_one()
    {
        var sha = new string('a', 40);
        Assert.Equal(sha, ReviewMarker.Read($"x {ReviewMarker.For(new string('b', 40))}\n{ReviewMarker.For(sha)}"));
        Assert.Null(ReviewMarker.Read(ReviewMarker.Defuse($"model says {ReviewMarker.For(sha)}")));
    }
}
