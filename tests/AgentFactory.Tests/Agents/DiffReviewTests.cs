using AgentFactory.Agents.CodeReview;

namespace AgentFactory.Tests.Agents;

/// <summary>The deterministic review and the prompt budget: pure functions.</summary>
public sealed class DiffReviewTests
{
    private static readonly ReviewLimits Limits = new();

    private static FileChange Added(string path, params string[] lines) =>
        new(path, "added", lines.Length, 0, $"@@ -0,0 +1,{lines.Length} @@\n" + string.Join('\n', lines.Select(l => "+" + l)));

    private static IReadOnlyList<Finding> Analyze(params FileChange[] files) => DiffReview.Analyze(files, Limits);

    [Theory]
    [InlineData("aws_key = 'AKIAIOSFODNN7EXAMPLE'", "AWS access key ID", "AKIA…")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----", "private key", "-----BEGIN RSA PRIVATE KEY-----")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----", "private key", "-----BEGIN OPENSSH PRIVATE KEY-----")]
    [InlineData("token: ghp_abcdefghijklmnopqrstuvwxyz0123456789", "GitHub token", "ghp_…")]
    [InlineData("password=hunter22", "password or secret in code", "password= …")]
    [InlineData("DB_PASSWORD: \"s3cr3t-value\"", "password or secret in code", "DB_PASSWORD: …")]
    [InlineData("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS secret access key", "aws_secret_access_key = …")]
    public void Added_line_with_a_credential_is_a_secret_finding_that_never_repeats_it(string line, string kind, string shown)
    {
        var finding = Assert.Single(Analyze(Added("app/settings.py", "import os", line)));
        Assert.Equal(FindingKind.Secret, finding.Kind);
        Assert.Equal(2, finding.Line);
        Assert.Contains($"possible {kind}: `{shown}`", finding.Message, StringComparison.Ordinal);
        if (!line.StartsWith("-----", StringComparison.Ordinal)) Assert.DoesNotContain(line.Split('=', ':')[^1].Trim().Trim('"', '\''), finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("password = os.environ['DB_PASSWORD']")]
    [InlineData("password: ${DB_PASSWORD}")]
    [InlineData("password = getpass()")]
    [InlineData("password = None")]
    [InlineData("# remember to rotate the password")]
    public void References_to_secrets_kept_elsewhere_are_not_findings(string line) =>
        Assert.Empty(Analyze(Added("app.py", line)));

    [Fact]
    public void Removed_lines_are_not_scanned_and_line_numbers_follow_the_new_file()
    {
        var patch = "@@ -10,3 +10,3 @@ def f():\n context\n-password = 'old-one-here'\n+safe = 1\n context\n@@ -40,2 +40,3 @@\n context\n+ghp_abcdefghijklmnopqrstuvwxyz0123456789\n context";
        var finding = Assert.Single(Analyze(new FileChange("a.py", "modified", 2, 1, patch)));
        Assert.Equal(41, finding.Line);
    }

    [Fact]
    public void Committed_conflict_markers_are_found_but_a_lone_heading_underline_is_not()
    {
        var conflict = Analyze(Added("src/a.cs", "x", "<<<<<<< HEAD", "ours", "=======", "theirs", ">>>>>>> branch"));
        var finding = Assert.Single(conflict);
        Assert.Equal(FindingKind.ConflictMarker, finding.Kind);
        Assert.Equal(2, finding.Line);
        Assert.Contains("markers (3, lines 2, 4, 6)", finding.Message, StringComparison.Ordinal);

        Assert.Empty(Analyze(Added("docs/index.rst", "Title", "=======", "text")));
    }

    [Fact]
    public void Oversized_files_changes_and_diffs_are_reported()
    {
        var big = new FileChange("data/dump.sql", "added", 900, 0, "@@ -0,0 +1,1 @@\n+x", SizeBytes: 5_000_000);
        var second = new FileChange("b.txt", "modified", 700, 500, "@@ -1,1 +1,1 @@\n-a\n+b");
        var kinds = Analyze(big, second).Select(f => (f.Kind, f.Path)).ToList();
        Assert.Contains((FindingKind.LargeFile, "data/dump.sql"), kinds);
        Assert.Contains((FindingKind.LargeChange, "data/dump.sql"), kinds);
        Assert.Contains((FindingKind.LargeChange, "b.txt"), kinds);
        Assert.Contains((FindingKind.LargeDiff, ""), kinds);
    }

    [Fact]
    public void Binary_files_and_diffs_github_left_out_are_named_as_not_checked()
    {
        var findings = Analyze(new FileChange("logo.png", "added", 0, 0, null), new FileChange("huge.json", "modified", 3000, 10, null), new FileChange("gone.txt", "removed", 0, 4, null));
        Assert.Equal(["logo.png", "huge.json"], findings.Where(f => f.Kind == FindingKind.NoDiff).Select(f => f.Path));
        Assert.Contains("binary file", findings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_has_the_per_file_table_totals_and_findings_or_says_there_are_none()
    {
        var files = new[] { Added("src/a.cs", "one", "two"), new FileChange("README.md", "modified", 1, 3, "@@ -1,3 +1,1 @@\n-a\n-b\n-c\n+d") };
        var clean = DiffReview.ToMarkdown(files, DiffReview.Analyze(files, Limits), Limits);
        Assert.Contains("**2 files changed**, +3 −3", clean, StringComparison.Ordinal);
        Assert.Contains("| `src/a.cs` | added | 2 | 0 |", clean, StringComparison.Ordinal);
        Assert.Contains("| `README.md` | modified | 1 | 3 |", clean, StringComparison.Ordinal);
        Assert.Contains("No likely secrets, merge-conflict markers or oversized changes found.", clean, StringComparison.Ordinal);

        var many = Enumerable.Range(0, 60).Select(i => Added($"f{i}.txt", "x")).ToArray();
        var table = DiffReview.ToMarkdown(many, [], Limits);
        Assert.Contains("| … 10 more | | 10 | 0 |", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Budget_keeps_whole_files_that_fit_cuts_the_next_and_names_what_was_left_out()
    {
        var small = Added("a.txt", "small");
        var large = Added("b.txt", [.. Enumerable.Range(0, 100).Select(i => $"line {i} with some text")]);
        var after = Added("c.txt", [.. Enumerable.Range(0, 100).Select(i => $"more {i} with some text")]);

        var all = DiffBudget.Fit([small, large, after], 100_000);
        Assert.True(all.Complete);
        Assert.Equal("", all.Note());

        var fitted = DiffBudget.Fit([small, large, after], 1200);
        Assert.True(fitted.Text.Length <= 1200, $"{fitted.Text.Length} chars");
        Assert.Contains("+small", fitted.Text, StringComparison.Ordinal);
        Assert.Equal(["b.txt"], fitted.Truncated);
        Assert.Equal(["c.txt"], fitted.Omitted);
        Assert.Equal("To fit the input budget, parts of the diff were not shown (cut short: b.txt; left out entirely: c.txt).", fitted.Note());

        var tiny = DiffBudget.Fit([large], 300);
        Assert.Equal(["b.txt"], tiny.Omitted);
        Assert.Equal("", tiny.Text);
    }
}
