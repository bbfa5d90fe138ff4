namespace AgentFactory.Queue;

/// <summary>Which database this process uses, in words for /health, doctor and the banner (never a password).</summary>
public sealed record StoreInfo(string Provider, string Location)
{
    public override string ToString() => Provider == "sqlite" ? $"SQLite at {Location}" : $"PostgreSQL at {Location}";
}
