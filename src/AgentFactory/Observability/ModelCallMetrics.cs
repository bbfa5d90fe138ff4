using AgentFactory.Models;

namespace AgentFactory.Observability;

/// <summary>
/// Feeds /metrics from every model call the model layer sends: tokens (input, output), cost in USD
/// and calls by outcome, labelled by agent and model (both bounded to the names the routing file
/// configures; see <see cref="AgentFactoryMetrics.AgentLabel"/>). Per-job totals are in the queue
/// database instead (GET /api/jobs/{id}, `agentfactory jobs show`).
/// </summary>
public sealed class ModelCallMetrics(AgentFactoryMetrics metrics, JobAgents agents) : IModelCallObserver
{
    public void Observed(ModelCall call) =>
        metrics.ModelCall(agents.AgentOf(call.JobId) ?? AgentFactoryMetrics.OtherLabel, call);
}
