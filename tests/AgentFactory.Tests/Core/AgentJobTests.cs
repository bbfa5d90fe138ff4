using System.Text.Json;
using AgentFactory.Agents;
using AgentFactory.Jobs;

namespace AgentFactory.Tests.Core;

/// <summary>What an agent is given: the job row and its payload, read safely whatever the payload holds.</summary>
public sealed class AgentJobTests
{
    private static AgentJob Job(string payload) => new(new JobRecord(
        9, "github_push", payload, JobStatus.Running, 0, 2, 3, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
        null, null, null, [], null, "host:1", null, null));

    [Fact]
    public void The_job_row_is_reachable_through_its_shortcuts()
    {
        var job = Job("{}");
        Assert.Equal(9, job.Id);
        Assert.Equal("github_push", job.JobType);
        Assert.Equal(2, job.Attempt);
        Assert.Equal(new JobLease(9, "host:1", 2), job.Record.Lease);
    }

    [Fact]
    public void A_row_without_an_owner_carries_an_empty_owner_in_its_lease() =>
        Assert.Equal(new JobLease(9, "", 2), (Job("{}").Record with { LeaseOwner = null }).Lease);

    [Fact]
    public void Payload_strings_are_read_at_dotted_paths_with_numbers_and_booleans_as_written()
    {
        var job = Job("""{"repository":{"full_name":"acme/api","private":false,"id":42,"fork":true},"ref":"refs/heads/main","sizes":[1],"none":null}""");
        Assert.Equal(JsonValueKind.Object, job.Payload.ValueKind);
        Assert.Equal("acme/api", job.PayloadString("repository.full_name"));
        Assert.Equal("refs/heads/main", job.PayloadString("ref"));
        Assert.Equal("42", job.PayloadString("repository.id"));
        Assert.Equal("false", job.PayloadString("repository.private"));
        Assert.Equal("true", job.PayloadString("repository.fork"));
        Assert.Null(job.PayloadString("repository"));
        Assert.Null(job.PayloadString("sizes"));
        Assert.Null(job.PayloadString("none"));
        Assert.Null(job.PayloadString("repository.owner.login"));
        Assert.Null(job.PayloadString("ref.inner"));
        Assert.Null(job.PayloadString("missing"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{not json")]
    public void A_payload_that_is_not_an_object_reads_as_an_empty_object(string payload)
    {
        var job = Job(payload);
        Assert.Equal(JsonValueKind.Object, job.Payload.ValueKind);
        Assert.Empty(job.Payload.EnumerateObject());
        Assert.Null(job.PayloadString("anything"));
    }

    [Fact]
    public void Results_say_whether_the_attempt_succeeded()
    {
        Assert.Equal(new AgentResult(true, "done"), AgentResult.Success("done"));
        Assert.Equal(new AgentResult(true), AgentResult.Success());
        Assert.Equal(new AgentResult(false, "partial", "boom"), AgentResult.Failure("boom", "partial"));
        Assert.Equal(new AgentResult(false, null, "boom"), AgentResult.Failure("boom"));
    }
}
