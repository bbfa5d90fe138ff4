using System.Reflection;
using NetArchTest.Rules;

namespace AgentFactory.Tests.Architecture;

/// <summary>
/// The dependency direction the code is organised by (docs and ../shared/STYLE.md): contracts know no
/// framework, the queue knows no hosting, orchestration knows no concrete agent. A failure names the
/// types that broke the rule.
/// </summary>
public sealed class LayeringTests
{
    private static readonly Assembly Core = typeof(AgentFactory.Queue.IJobStore).Assembly;
    private static readonly Assembly Service = typeof(AgentFactory.Hosting.AppBuilder).Assembly;

    private static void Holds(TestResult result, string rule) =>
        Assert.True(result.IsSuccessful, $"{rule}; broken by: {string.Join(", ", result.FailingTypeNames ?? [])}");

    [Theory]
    [InlineData("Microsoft.AspNetCore")]
    [InlineData("Microsoft.Extensions.Hosting")]
    [InlineData("Npgsql")]
    [InlineData("Microsoft.Data.Sqlite")]
    [InlineData("System.Diagnostics.Process")]
    [InlineData("Octokit")]
    public void Core_holds_contracts_only(string forbidden) =>
        Holds(Types.InAssembly(Core).ShouldNot().HaveDependencyOn(forbidden).GetResult(), $"AgentFactory.Core must not use {forbidden}");

    [Theory]
    [InlineData("Microsoft.Extensions.Hosting")]
    [InlineData("Microsoft.AspNetCore")]
    [InlineData("AgentFactory.Orchestration")]
    [InlineData("AgentFactory.Agents")]
    public void The_queue_stores_do_not_use_hosting_or_the_layers_above(string forbidden) =>
        Holds(Types.InAssembly(Service).That().ResideInNamespaceStartingWith("AgentFactory.Queue")
            .ShouldNot().HaveDependencyOn(forbidden).GetResult(), $"AgentFactory.Queue.* must not use {forbidden}");

    [Theory]
    [InlineData("AgentFactory.Agents.Command")]
    [InlineData("AgentFactory.Agents.Deploy")]
    [InlineData("AgentFactory.Agents.CodeReview")]
    [InlineData("AgentFactory.Agents.Tasks")]
    [InlineData("AgentFactory.Agents.Log")]
    [InlineData("AgentFactory.Queue.Sqlite")]
    [InlineData("AgentFactory.Queue.Postgres")]
    public void Orchestration_knows_agents_and_stores_only_by_their_contracts(string forbidden) =>
        Holds(Types.InAssembly(Service).That().ResideInNamespace("AgentFactory.Orchestration")
            .ShouldNot().HaveDependencyOn(forbidden).GetResult(), $"AgentFactory.Orchestration must not use {forbidden}");

    [Theory]
    [InlineData("AgentFactory.Orchestration")]
    [InlineData("AgentFactory.Agents")]
    [InlineData("AgentFactory.Queue.Sqlite")]
    [InlineData("AgentFactory.Queue.Postgres")]
    public void Ingest_records_deliveries_without_knowing_who_runs_them(string forbidden) =>
        Holds(Types.InAssembly(Service).That().ResideInNamespace("AgentFactory.Ingest")
            .ShouldNot().HaveDependencyOn(forbidden).GetResult(), $"AgentFactory.Ingest must not use {forbidden}");

    [Fact]
    public void Only_the_process_seam_starts_processes() =>
        Holds(Types.InAssembly(Service).That().DoNotResideInNamespace("AgentFactory.Sandbox")
            .ShouldNot().HaveDependencyOn("System.Diagnostics.Process").GetResult(), "only AgentFactory.Sandbox may start a process");
}
