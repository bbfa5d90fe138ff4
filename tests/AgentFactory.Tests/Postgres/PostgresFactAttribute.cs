using Xunit.Abstractions;
using Xunit.Sdk;

namespace AgentFactory.Tests.Postgres;

/// <summary>A test that needs PostgreSQL: skipped, with how to enable it, when none is available (fails under CI=true).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresEnvironment.SkipReason(needsServerBinaries: false) is { } reason) Skip = reason;
    }
}

/// <summary>A test that starts, stops and restarts a PostgreSQL server of its own, so it needs the server binaries.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresServerFactAttribute : FactAttribute
{
    public PostgresServerFactAttribute()
    {
        if (PostgresEnvironment.SkipReason(needsServerBinaries: true) is { } reason) Skip = reason;
    }
}

/// <summary>Marks a test class whose inherited tests need PostgreSQL (the store contract suite run on PostgreSQL).</summary>
public interface IRequiresPostgres;

/// <summary>
/// A fact declared once in a base class and run by each derived class (the store contract suite):
/// in a class marked <see cref="IRequiresPostgres"/> it is skipped like a <see cref="PostgresFactAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("AgentFactory.Tests.Postgres.StoreFactDiscoverer", "AgentFactory.Tests")]
public sealed class StoreFactAttribute : FactAttribute;

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        typeof(IRequiresPostgres).IsAssignableFrom(testMethod.TestClass.Class.ToRuntimeType())
            ? new PostgresTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod)
            : base.CreateTestCase(discoveryOptions, testMethod, factAttribute);
}

/// <summary>Decides its skip reason when it is initialized, so it survives the runner's serialization.</summary>
public sealed class PostgresTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes", error: true)]
    public PostgresTestCase() { }

    public PostgresTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method)
        : base(sink, display, options, method) { }

    protected override string GetSkipReason(IAttributeInfo factAttribute) =>
        PostgresEnvironment.SkipReason(needsServerBinaries: false) ?? base.GetSkipReason(factAttribute);
}
