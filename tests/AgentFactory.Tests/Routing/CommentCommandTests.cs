using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFactory.Jobs;
using AgentFactory.Routing;

namespace AgentFactory.Tests.Routing;

/// <summary>The edges of reading a comment's command or mention, and of rendering a concurrency key.</summary>
public sealed class CommentCommandTests
{
    [Theory]
    [InlineData("/a", "a", "")]
    [InlineData("/fix-it_2 now", "fix-it_2", "now")]
    [InlineData("/fix\tnow", "fix", "now")]
    [InlineData("@agentfactory    /fix", "fix", "")]
    [InlineData("@agentfactory/fix", "fix", "")]
    public void A_command_is_a_slash_a_letter_then_word_characters(string body, string name, string argument)
    {
        var command = CommentCommand.Parse(body, "@agentfactory");
        Assert.Equal(new CommentCommand("command", name, argument), command);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/1fix")]
    [InlineData("/-fix")]
    [InlineData("   ")]
    [InlineData("@agentfactory")]
    [InlineData("@agentfactory-bot /fix")]
    [InlineData("@agentfactory_x /fix")]
    public void Anything_else_is_no_command(string body) => Assert.Null(CommentCommand.Parse(body, "@agentfactory"));

    [Fact]
    public void Without_a_mention_setting_a_comment_starting_with_one_is_no_command()
    {
        Assert.Null(CommentCommand.Parse("@agentfactory /fix", null));
        Assert.Null(CommentCommand.Parse("@agentfactory /fix", ""));
        Assert.Null(CommentCommand.Parse(null, "@agentfactory"));
    }

    [Theory]
    [InlineData("@agentfactory", "@agentfactory", true)]
    [InlineData("(@agentfactory)", "@agentfactory", true)]
    [InlineData("please @agentfactory.", "@agentfactory", true)]
    [InlineData("x/@agentfactory", "@agentfactory", false)]
    [InlineData("a@agentfactory", "@agentfactory", false)]
    [InlineData("@agentfactory_ops", "@agentfactory", false)]
    [InlineData("@agentfactoryx and later @agentfactory", "@agentfactory", true)]
    [InlineData("```\ncode\n```\n@agentfactory", "@agentfactory", true)]
    [InlineData("~~~\n@agentfactory\n~~~", "@agentfactory", false)]
    [InlineData("  > quoted @agentfactory", "@agentfactory", false)]
    [InlineData("hi", "", false)]
    [InlineData("", "@agentfactory", false)]
    public void A_mention_is_found_as_a_whole_login(string body, string mention, bool found) =>
        Assert.Equal(found, CommentCommand.Mentions(body, mention));

    [Fact]
    public void A_mention_triggers_with_the_comment_as_argument_without_the_mention()
    {
        Assert.Equal(new CommentCommand("mention", null, "could you look at this?"), CommentCommand.ForMention("@AgentFactory could you look at this?\r\n", "@agentfactory"));
        var argument = CommentCommand.ForMention("@agentfactory " + new string('x', CommentCommand.MaxArgument + 10), "@agentfactory").Argument;
        Assert.Equal(new string('x', CommentCommand.MaxArgument - 1), argument); // cut at the limit, then trimmed of the space it began with
    }

    [Fact]
    public void The_argument_keeps_tabs_and_newlines_and_drops_other_control_characters()
    {
        var command = CommentCommand.Parse("/fix a\tb\r\nc\u0007d\u007f  ", null)!;
        Assert.Equal("a\tb\ncd", command.Argument);
        var exact = CommentCommand.Parse("/fix " + new string('y', CommentCommand.MaxArgument), null)!;
        Assert.Equal(CommentCommand.MaxArgument - 1, exact.Argument.Length); // the space after the command counts, then is trimmed
    }

    [Fact]
    public void The_payload_field_holds_trigger_command_and_argument()
    {
        var node = JsonNode.Parse(new CommentCommand("mention", null, "look").AddTo("""{"a":1}"""))!;
        Assert.Equal("""{"trigger":"mention","command":null,"argument":"look"}""", node[CommentCommand.PayloadField]!.ToJsonString());
        Assert.Equal(1, (int)node["a"]!);
    }

    [Fact]
    public void A_key_renders_numbers_booleans_and_spaced_placeholders()
    {
        var settings = new ConcurrencySettings { Key = "{{ repository.full_name }}/{{number}}/{{draft}}/{{ok}}", Mode = "serialize" };
        using var doc = JsonDocument.Parse("""{"repository":{"full_name":"acme/app"},"number":42,"draft":false,"ok":true}""");
        Assert.Equal(new JobConcurrency("acme/app/42/false/true", ConcurrencyMode.Serialize), ConcurrencyKeyTemplate.For(settings, doc.RootElement));
        using var nulls = JsonDocument.Parse("""{"repository":{"full_name":"acme/app"},"number":null,"draft":false,"ok":true}""");
        Assert.Null(ConcurrencyKeyTemplate.For(settings, nulls.RootElement));
        using var notObject = JsonDocument.Parse("""{"repository":"acme/app","number":1,"draft":false,"ok":true}""");
        Assert.Null(ConcurrencyKeyTemplate.For(settings, notObject.RootElement));
    }

    [Fact]
    public void No_setting_or_an_unknown_mode_gives_no_key()
    {
        using var doc = JsonDocument.Parse("""{"n":1}""");
        Assert.Null(ConcurrencyKeyTemplate.For(null, doc.RootElement));
        Assert.Null(ConcurrencyKeyTemplate.For((ConcurrencySettings?)null, """{"n":1}"""));
        Assert.Null(ConcurrencyKeyTemplate.For(new ConcurrencySettings { Key = "{{n}}", Mode = "later" }, doc.RootElement));
        Assert.Equal("1", ConcurrencyKeyTemplate.For(new ConcurrencySettings { Key = "{{n}}", Mode = "skip" }, """{"n":1}""")!.Key);
    }

    [Fact]
    public void A_key_of_exactly_the_longest_length_is_kept_as_rendered()
    {
        var settings = new ConcurrencySettings { Key = "{{t}}", Mode = "skip" };
        string Key(int length) => ConcurrencyKeyTemplate.For(settings, JsonSerializer.Serialize(new { t = new string('k', length) }))!.Key;
        Assert.Equal(new string('k', ConcurrencyKeyTemplate.MaxKeyLength), Key(ConcurrencyKeyTemplate.MaxKeyLength));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(new string('k', 201)))), Key(201));
    }

    [Fact]
    public void Each_problem_of_a_concurrency_setting_is_named()
    {
        Assert.Empty(ConcurrencyKeyTemplate.Problems("t", new ConcurrencySettings { Key = "{{a.b}}", Mode = "skip" }));
        Assert.Equal(["jobs.t.concurrency.mode is 'x'; use \"supersede\", \"serialize\" or \"skip\"."],
            ConcurrencyKeyTemplate.Problems("t", new ConcurrencySettings { Key = "{{a}}", Mode = "x" }));
        Assert.Single(ConcurrencyKeyTemplate.Problems("t", new ConcurrencySettings { Key = "   ", Mode = "skip" }));
        Assert.Single(ConcurrencyKeyTemplate.Problems("t", new ConcurrencySettings { Key = "{{a}}" + new string('x', ConcurrencyKeyTemplate.MaxTemplateLength - 4), Mode = "skip" }));
        Assert.Empty(ConcurrencyKeyTemplate.Problems("t", new ConcurrencySettings { Key = "{{a}}" + new string('x', ConcurrencyKeyTemplate.MaxTemplateLength - 5), Mode = "skip" }));
        Assert.Equal(2, ConcurrencyKeyTemplate.Problems("t", new ConcurrencySettings { Key = "", Mode = "x" }).Count());
        Assert.Contains("has a placeholder that is not a payload field path", Assert.Single(ConcurrencyKeyTemplate.Problems("t", new ConcurrencySettings { Key = "{{a}} {{b c}}", Mode = "skip" })), StringComparison.Ordinal);
        Assert.Contains("has a placeholder that is not a payload field path", Assert.Single(ConcurrencyKeyTemplate.Problems("t", new ConcurrencySettings { Key = "{{a}} }}", Mode = "skip" })), StringComparison.Ordinal);
    }

    [Fact]
    public void Manual_job_types_are_those_opened_by_name_in_order()
    {
        var config = new RoutingConfig
        {
            Jobs = { ["zeta"] = new JobTypeSettings { Manual = true }, ["alpha"] = new JobTypeSettings { Manual = true }, ["beta"] = new JobTypeSettings(), [RoutingConfig.AnyJobType] = new JobTypeSettings { Manual = true } },
        };
        Assert.Equal(["alpha", "zeta"], config.ManualJobTypes);
        Assert.Same(config.Jobs["beta"], config.SettingsFor("beta"));
        Assert.Same(config.Jobs["*"], config.SettingsFor("unlisted"));
        Assert.Same(JobTypeSettings.Default, new RoutingConfig().SettingsFor("unlisted"));
    }

    [Fact]
    public void A_new_job_carries_the_types_attempts()
    {
        var job = new JobTypeSettings { MaxAttempts = 7 }.NewJob("t", "{}", 3);
        Assert.Equal(new NewJob("t", "{}", 3, 7), job);
    }
}
