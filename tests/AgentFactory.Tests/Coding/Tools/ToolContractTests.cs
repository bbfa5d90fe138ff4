using System.Text.Json;
using AgentFactory.Agents.Coding.Tools;

namespace AgentFactory.Tests.Coding.Tools;

/// <summary>The public contract of the toolset: names, schemas, argument handling, finish, and the doc that describes them.</summary>
public sealed class ToolContractTests : IDisposable
{
    private static readonly string[] Contract = ["run_shell", "view_file", "search", "str_replace", "create_file", "run_tests", "finish"];

    private readonly ToolWorld _world = new();

    public void Dispose() => _world.Dispose();

    public static TheoryData<string> Names => [.. Contract];

    [Fact]
    public void The_toolset_is_exactly_the_contract()
    {
        Assert.Equal(Contract, CodingTools.All.Select(t => t.Name));
        Assert.All(CodingTools.All, t => Assert.False(string.IsNullOrWhiteSpace(t.Description)));
        Assert.Null(CodingTools.Find("bash"));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_schema_is_a_valid_object_schema_whose_required_fields_are_described(string name)
    {
        using var schema = JsonDocument.Parse(CodingTools.Find(name)!.ParametersSchema);
        var root = schema.RootElement;

        Assert.Equal("object", root.GetProperty("type").GetString());
        Assert.False(root.GetProperty("additionalProperties").GetBoolean());
        var properties = root.GetProperty("properties");
        foreach (var property in properties.EnumerateObject())
        {
            Assert.Contains(property.Value.GetProperty("type").GetString(), new[] { "string", "integer" });
            Assert.False(string.IsNullOrWhiteSpace(property.Value.GetProperty("description").GetString()), $"{name}.{property.Name}");
        }
        var required = root.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).ToList() : [];
        Assert.All(required, field => Assert.True(properties.TryGetProperty(field, out _), $"{name} requires {field}, which it does not describe"));
        if (name is not "run_tests") Assert.NotEmpty(required);
    }

    [Fact]
    public void The_tool_contract_in_the_docs_names_every_tool_and_argument()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "coding-agent.md"));
        var contract = doc[doc.IndexOf("## Tool contract", StringComparison.Ordinal)..];

        foreach (var tool in CodingTools.All)
        {
            Assert.Contains($"`{tool.Name}", contract, StringComparison.Ordinal);
            using var schema = JsonDocument.Parse(tool.ParametersSchema);
            foreach (var property in schema.RootElement.GetProperty("properties").EnumerateObject())
                Assert.Contains(property.Name, contract, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Finish_records_the_summary_and_ends_the_run()
    {
        var result = await _world.Call("finish", new { summary = "  Fixed the parser; tests pass.  " });

        Assert.False(result.IsError);
        Assert.True(_world.Context.Finished);
        Assert.Equal("Fixed the parser; tests pass.", _world.Context.FinishSummary);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"summary":""}""")]
    [InlineData("""{"summary":"   \n "}""")]
    [InlineData("""{"summary":42}""")]
    public async Task Finish_without_a_summary_is_refused_and_the_run_goes_on(string arguments)
    {
        using var doc = JsonDocument.Parse(arguments);
        var result = await CodingTools.Find("finish")!.InvokeAsync(doc.RootElement, _world.Context, default);

        Assert.True(result.IsError);
        Assert.Contains("summary", result.Text, StringComparison.Ordinal);
        Assert.False(_world.Context.Finished);
    }

    [Fact]
    public async Task Arguments_sent_as_a_JSON_string_or_numbers_as_text_are_accepted()
    {
        var asString = JsonSerializer.SerializeToElement("""{"path":"README.md","start_line":"1"}""");

        var result = await CodingTools.Find("view_file")!.InvokeAsync(asString, _world.Context, default);

        Assert.False(result.IsError, result.Text);
        Assert.Contains("# demo", result.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"not json\"")]
    [InlineData("7")]
    public async Task Arguments_that_are_not_an_object_are_refused(string arguments)
    {
        using var doc = JsonDocument.Parse(arguments);
        var result = await CodingTools.Find("view_file")!.InvokeAsync(doc.RootElement, _world.Context, default);

        Assert.True(result.IsError);
        Assert.Contains("must be a JSON object", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrongly_typed_argument_is_named_in_the_error()
    {
        var result = await _world.Call("view_file", new { path = new[] { "a", "b" } });

        Assert.True(result.IsError);
        Assert.Equal("The argument \"path\" of view_file must be a string, not a list.", result.Text);
        Assert.Equal(result.Text, result.Excerpt);
    }

    [Fact]
    public void Excerpts_are_one_short_line()
    {
        var excerpt = ToolResult.Shorten(new string('x', 500) + "\nsecond line");
        Assert.Equal(ToolResult.MaxExcerpt, excerpt.Length);
        Assert.DoesNotContain('\n', excerpt);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AgentFactory.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (AgentFactory.sln) was not found above the test binaries.");
    }
}
