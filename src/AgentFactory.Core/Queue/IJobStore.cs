namespace AgentFactory.Queue;

/// <summary>
/// One driver's whole storage: the union of the interfaces each caller uses (the way River splits its
/// driver and Hangfire its storage from its monitoring API). Callers depend on the narrow interface
/// they need; the store contract suite holds both drivers to all of it. Implementations translate
/// their provider's connection errors into <see cref="StoreUnavailableException"/>.
/// </summary>
public interface IJobStore : IDeliveryStore, IWorkerStore, IMaintenanceStore, IOperatorViews, IStepStore, ITriggerRefusalStore, Models.IBudgetLedger
{
}

/// <summary>The database cannot be reached or refused the operation for a reason outside the caller's control.</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException() { }
    public StoreUnavailableException(string message) : base(message) { }
    public StoreUnavailableException(string message, Exception inner) : base(message, inner) { }
}
