namespace AgentFactory.Hosting;

/// <summary>Which parts one process runs: `serve` both, `webhook` or `orchestrator` one each.</summary>
[Flags]
public enum Roles
{
    Webhook = 1,
    Orchestrator = 2,
    Both = Webhook | Orchestrator,
}
