using AgentFactory.Ingest;
using Microsoft.AspNetCore.Http;

namespace AgentFactory.Tests.Ingest;

/// <summary>The X-GitHub-* headers are not signed: each is held to what GitHub sends before anything is stored.</summary>
public sealed class GitHubDeliveryTests
{
    private const string Guid = "72D3162E-CC78-11E3-81AB-4C9367DC0958";

    private static (GitHubDelivery? Delivery, string? Problem) From(string? ev = "push", string? delivery = Guid, string? hook = null, string? signature = null)
    {
        var headers = new HeaderDictionary();
        if (ev is not null) headers["X-GitHub-Event"] = ev;
        if (delivery is not null) headers["X-GitHub-Delivery"] = delivery;
        if (hook is not null) headers["X-GitHub-Hook-ID"] = hook;
        if (signature is not null) headers["X-Hub-Signature-256"] = signature;
        return GitHubDelivery.From(headers);
    }

    [Fact]
    public void GitHubs_headers_are_kept_with_the_delivery_id_in_lower_case()
    {
        var (delivery, problem) = From("projects_v2_item", Guid, "12345678901234567890", "sha256=abc");
        Assert.Null(problem);
        Assert.Equal(new GitHubDelivery("projects_v2_item", Guid.ToLowerInvariant(), "12345678901234567890", "sha256=abc"), delivery);
    }

    [Fact]
    public void The_hook_id_and_the_signature_may_be_absent()
    {
        var (delivery, problem) = From("ping", "1", hook: null, signature: null);
        Assert.Null(problem);
        Assert.Equal(new GitHubDelivery("ping", "1", "", null), delivery);
        Assert.Null(From(signature: "").Delivery!.Signature256);
    }

    [Theory]
    [InlineData(null, "The X-GitHub-Event header is missing.")]
    [InlineData("", "The X-GitHub-Event header is missing.")]
    [InlineData("Push", "The X-GitHub-Event header is not a GitHub event name")]
    [InlineData("2push", "The X-GitHub-Event header is not a GitHub event name")]
    [InlineData("push event", "The X-GitHub-Event header is not a GitHub event name")]
    [InlineData("heartbeat", "The X-GitHub-Event 'heartbeat' is a name the service uses for its own records")]
    [InlineData("manual", "The X-GitHub-Event 'manual' is a name the service uses for its own records")]
    public void A_bad_event_header_is_refused_saying_which_and_what_is_accepted(string? ev, string problem)
    {
        var (delivery, said) = From(ev: ev);
        Assert.Null(delivery);
        Assert.StartsWith(problem, said, StringComparison.Ordinal);
    }

    [Fact]
    public void An_event_name_is_at_most_64_characters()
    {
        Assert.Null(From(ev: "a" + new string('b', 63)).Problem);
        Assert.NotNull(From(ev: "a" + new string('b', 64)).Problem);
    }

    [Theory]
    [InlineData(null, "The X-GitHub-Delivery header is missing.")]
    [InlineData("", "The X-GitHub-Delivery header is missing.")]
    [InlineData("72d3162e_cc78", "The X-GitHub-Delivery header is not a delivery id (1–100 letters, digits or dashes).")]
    [InlineData("../../etc", "The X-GitHub-Delivery header is not a delivery id (1–100 letters, digits or dashes).")]
    public void A_bad_delivery_header_is_refused(string? id, string problem)
    {
        var (delivery, said) = From(delivery: id);
        Assert.Null(delivery);
        Assert.StartsWith(problem, said, StringComparison.Ordinal);
    }

    [Fact]
    public void A_delivery_id_is_at_most_100_characters()
    {
        Assert.Null(From(delivery: new string('a', 100)).Problem);
        Assert.NotNull(From(delivery: new string('a', 101)).Problem);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("123456789012345678901")]
    public void A_hook_id_that_is_not_a_number_is_refused(string hook)
    {
        var (delivery, said) = From(hook: hook);
        Assert.Null(delivery);
        Assert.Equal("The X-GitHub-Hook-ID header is not a hook id (GitHub sends the hook's number).", said);
    }
}
