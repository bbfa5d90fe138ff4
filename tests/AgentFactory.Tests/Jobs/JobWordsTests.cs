using AgentFactory.Jobs;

namespace AgentFactory.Tests.Jobs;

/// <summary>The words a job's status and concurrency mode are stored, filtered and shown as (database, API, CLI, dashboard).</summary>
public sealed class JobWordsTests
{
    [Theory]
    [InlineData(JobStatus.Pending, "pending")]
    [InlineData(JobStatus.Running, "running")]
    [InlineData(JobStatus.Completed, "completed")]
    [InlineData(JobStatus.Failed, "failed")]
    [InlineData(JobStatus.Cancelled, "cancelled")]
    public void Each_status_is_stored_as_its_word_and_read_back(JobStatus status, string word)
    {
        Assert.Equal(word, status.ToDb());
        Assert.Equal(status, JobStatusNames.Parse(word));
        Assert.True(JobStatusNames.TryParse(word, out var parsed));
        Assert.Equal(status, parsed);
    }

    [Theory]
    [InlineData(" Running ", JobStatus.Running)]
    [InlineData("FAILED", JobStatus.Failed)]
    [InlineData("Pending\n", JobStatus.Pending)]
    [InlineData("\tcompleted", JobStatus.Completed)]
    [InlineData("canceled", JobStatus.Cancelled)]
    [InlineData("CANCELLED", JobStatus.Cancelled)]
    public void A_status_typed_by_a_user_may_have_any_case_white_space_or_the_american_spelling(string typed, JobStatus expected)
    {
        Assert.True(JobStatusNames.TryParse(typed, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("done")]
    [InlineData("runn ing")]
    public void An_unknown_status_is_refused_naming_it(string? typed)
    {
        Assert.False(JobStatusNames.TryParse(typed, out var parsed));
        Assert.Equal(default, parsed);
        if (typed is null) return;
        var e = Assert.Throws<FormatException>(() => JobStatusNames.Parse(typed));
        Assert.Equal($"Unknown job status '{typed}'.", e.Message);
    }

    [Fact]
    public void All_lists_every_status_once_in_lifecycle_order() =>
        Assert.Equal([JobStatus.Pending, JobStatus.Running, JobStatus.Completed, JobStatus.Failed, JobStatus.Cancelled], JobStatusNames.All);

    [Fact]
    public void A_status_outside_the_enum_has_no_word() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ((JobStatus)42).ToDb());

    [Theory]
    [InlineData(ConcurrencyMode.Supersede, "supersede")]
    [InlineData(ConcurrencyMode.Serialize, "serialize")]
    [InlineData(ConcurrencyMode.Skip, "skip")]
    public void Each_concurrency_mode_is_stored_as_its_word_and_read_back(ConcurrencyMode mode, string word)
    {
        Assert.Equal(word, JobConcurrency.ToDb(mode));
        Assert.Equal(word, new JobConcurrency("k", mode).ModeName);
        Assert.True(JobConcurrency.TryParseMode(word, out var parsed));
        Assert.Equal(mode, parsed);
        Assert.True(JobConcurrency.TryParseMode(" " + word.ToUpperInvariant() + "\n", out parsed));
        Assert.Equal(mode, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("queue")]
    public void An_unknown_concurrency_mode_is_refused(string? word)
    {
        Assert.False(JobConcurrency.TryParseMode(word, out var parsed));
        Assert.Equal(default, parsed);
    }

    [Fact]
    public void A_mode_outside_the_enum_has_no_word() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => JobConcurrency.ToDb((ConcurrencyMode)42));

    [Fact]
    public void A_row_has_a_concurrency_only_with_a_key_and_a_known_mode()
    {
        Assert.Equal(new JobConcurrency("acme/api#7", ConcurrencyMode.Serialize), JobConcurrency.FromRow("acme/api#7", "serialize"));
        Assert.Equal(new JobConcurrency("", ConcurrencyMode.Skip), JobConcurrency.FromRow("", "skip"));
        Assert.Null(JobConcurrency.FromRow(null, "serialize"));
        Assert.Null(JobConcurrency.FromRow("acme/api#7", null));
        Assert.Null(JobConcurrency.FromRow("acme/api#7", "sometimes"));
    }
}
