using System.Text.Json;
using AgentFactory.Routing;

namespace AgentFactory.Tests.Routing;

/// <summary>What a comment rule reads: the comment's body, the subject of the event, its issue or pull request number.</summary>
public sealed class CommentRoutingRulesTests
{
    private static JsonElement Payload(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void A_mention_rule_matches_a_comment_that_mentions_the_login_and_gives_it_as_the_argument()
    {
        var rule = new RouteRule { Event = "issue_comment", Mention = "@agentfactory" };
        Assert.True(CommentRouting.Matches(rule, Payload("""{"comment":{"body":"hi @agentfactory please look"}}"""), out var command));
        Assert.Equal(new CommentCommand("mention", null, "hi  please look"), command);
        Assert.False(CommentRouting.Matches(rule, Payload("""{"comment":{"body":"hi there"}}"""), out command));
        Assert.Null(command);
        Assert.False(CommentRouting.Matches(rule, Payload("""{"issue":{"number":1}}"""), out command));
        Assert.Null(command);
    }

    [Fact]
    public void A_command_rule_matches_one_of_its_commands_only()
    {
        var rule = new RouteRule { Event = "issue_comment", Commands = ["/fix", "review"] };
        Assert.True(CommentRouting.Matches(rule, Payload("""{"comment":{"body":"/FIX now"}}"""), out var command));
        Assert.Equal(new CommentCommand("command", "fix", "now"), command);
        Assert.True(CommentRouting.Matches(rule, Payload("""{"comment":{"body":"/review"}}"""), out command));
        Assert.False(CommentRouting.Matches(rule, Payload("""{"comment":{"body":"/ask why"}}"""), out command));
        Assert.Null(command);
        Assert.False(CommentRouting.Matches(rule, Payload("""{"comment":{"body":"no command"}}"""), out command));
    }

    [Theory]
    [InlineData("""{"pull_request":{"number":3}}""", "pull_request")]
    [InlineData("""{"pull_request":"3","issue":{"number":3}}""", "issue")]
    [InlineData("""{"issue":{"number":3,"pull_request":{}}}""", "pull_request")]
    [InlineData("""{"issue":{"number":3,"pull_request":null}}""", "issue")]
    [InlineData("""{"issue":{"number":3}}""", "issue")]
    [InlineData("""{"issue":3}""", null)]
    [InlineData("{}", null)]
    public void The_subject_is_a_pull_request_when_github_marks_it_so(string json, string? subject) =>
        Assert.Equal(subject, CommentRouting.SubjectOf("issue_comment", Payload(json)));

    [Theory]
    [InlineData("""{"issue":{"number":7}}""", 7L)]
    [InlineData("""{"pull_request":{"number":8}}""", 8L)]
    [InlineData("""{"number":9,"pull_request":{"title":"t"}}""", 9L)]
    [InlineData("""{"issue":7,"number":6}""", 6L)]
    [InlineData("""{"number":"9"}""", null)]
    [InlineData("""{"issue":{"number":"7"},"number":6}""", 6L)] // a hand-made payload: a string is no number, and never a crash
    [InlineData("""{"pull_request":{"number":null}}""", null)]
    [InlineData("""{"number":1.5}""", null)]
    [InlineData("{}", null)]
    public void The_number_is_the_issues_or_pull_requests_else_the_events(string json, long? number) =>
        Assert.Equal(number, CommentRouting.NumberOf(Payload(json)));
}
