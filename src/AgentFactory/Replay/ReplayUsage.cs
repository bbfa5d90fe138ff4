using AgentFactory.Models;

namespace AgentFactory.Replay;

/// <summary>The model calls a replayed job made (the model layer tells every observer), taken after each job.</summary>
public sealed class ReplayUsage : IModelCallObserver
{
    private readonly List<ModelCall> _calls = [];

    public void Observed(ModelCall call)
    {
        lock (_calls) _calls.Add(call);
    }

    public IReadOnlyList<ModelCall> Take()
    {
        lock (_calls)
        {
            var taken = _calls.ToList();
            _calls.Clear();
            return taken;
        }
    }
}
