using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentFactory.Models;

/// <summary>
/// One job's view of a model. Before every call it checks the model's context window and reserves
/// the call's worst case on the ledger (estimated input tokens + the output limit, at the model's
/// prices), so a budget refuses the call (<see cref="BudgetExceededException"/>) before anything is
/// sent; after the call it settles what was used and tells the observers. Every call carries the
/// model's output limit, so the worst case is a real bound.
/// </summary>
public sealed class BudgetedChatClient : DelegatingChatClient
{
    private readonly ModelSpec _spec;
    private readonly BudgetScope _scope;
    private readonly IBudgetLedger _ledger;
    private readonly IReadOnlyList<IModelCallObserver> _observers;
    private readonly TimeProvider _time;

    internal BudgetedChatClient(IChatClient inner, ModelSpec spec, BudgetScope scope, IBudgetLedger ledger, IReadOnlyList<IModelCallObserver> observers, TimeProvider time)
        : base(inner) => (_spec, _scope, _ledger, _observers, _time) = (spec, scope, ledger, observers, time);

    public ModelSpec Spec => _spec;
    public BudgetScope Scope => _scope;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyCollection<ChatMessage> ?? [.. messages];
        var (sent, reservation, input) = await ReserveAsync(list, options, cancellationToken);
        var started = _time.GetTimestamp();
        ChatResponse? response = null;
        var outcome = ModelCallOutcome.Failed;
        try
        {
            response = await base.GetResponseAsync(list, sent, cancellationToken);
            outcome = ModelCallOutcome.Completed;
            return response;
        }
        catch (ModelReplyException e)
        {
            (response, outcome) = (e.Response, Outcome(e));
            throw;
        }
        finally
        {
            await SettleAsync(reservation, input, response, outcome, started);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyCollection<ChatMessage> ?? [.. messages];
        var (sent, reservation, input) = await ReserveAsync(list, options, cancellationToken);
        var started = _time.GetTimestamp();
        var updates = new List<ChatResponseUpdate>();
        ChatResponse? response = null;
        var outcome = ModelCallOutcome.Failed;
        try
        {
            await using var stream = base.GetStreamingResponseAsync(list, sent, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                try
                {
                    if (!await stream.MoveNextAsync()) break;
                }
                catch (ModelReplyException e)
                {
                    (response, outcome) = (e.Response, Outcome(e));
                    throw;
                }
                updates.Add(stream.Current);
                yield return stream.Current;
            }
            outcome = ModelCallOutcome.Completed;
        }
        finally
        {
            // A stream that broke after it began was billed for what it sent: estimate it.
            response ??= updates.Count > 0 ? updates.ToChatResponse() : null;
            await SettleAsync(reservation, input, response, outcome, started);
        }
    }

    /// <summary>Disposing a job's view leaves the model's SDK client and HttpClient alone: <see cref="ModelClient"/> owns them.</summary>
#pragma warning disable CA2215 // not calling base on purpose: it would dispose the shared inner client
    protected override void Dispose(bool disposing) { }
#pragma warning restore CA2215

    private async Task<(ChatOptions Sent, BudgetReservation Reservation, long Input)> ReserveAsync(IReadOnlyCollection<ChatMessage> messages, ChatOptions? options, CancellationToken ct)
    {
        var sent = options?.Clone() ?? new ChatOptions();
        if (_spec.MaxOutputTokens is { } cap) sent.MaxOutputTokens = Math.Min(sent.MaxOutputTokens ?? cap, cap);
        var input = TokenEstimate.Input(messages, sent);
        long output = sent.MaxOutputTokens ?? 0;
        if (_spec.ContextWindow is { } window && input + output > window)
            throw new BudgetExceededException(BudgetKind.ContextWindow, window, 0, input + output,
                $"about {input} input tokens (estimated at {ModelSpec.CharsPerToken} characters per token) plus up to {output} output tokens; shorten the conversation or lower {_spec.Setting("maxOutputTokens")}");
        var reservation = await _ledger.ReserveAsync(_scope, new BudgetCharge(input, output, _spec.Cost(input, output)), _time.GetUtcNow(), ct);
        return (sent, reservation, input);
    }

    private async Task SettleAsync(BudgetReservation reservation, long inputEstimate, ChatResponse? response, ModelCallOutcome outcome, long started)
    {
        var (input, output, estimated) = response is null
            ? (0L, 0L, false)
            : (response.Usage?.InputTokenCount ?? inputEstimate, response.Usage?.OutputTokenCount ?? TokenEstimate.Output(response),
               response.Usage?.InputTokenCount is null || response.Usage?.OutputTokenCount is null);
        var usd = _spec.Cost(input, output);
        await _ledger.SettleAsync(reservation, new BudgetCharge(input, output, usd), CancellationToken.None);
        var call = new ModelCall(_spec.Name, _spec.ModelId, _scope.JobId, _scope.Repository, input, output, usd, estimated,
            _time.GetElapsedTime(started), outcome, response?.FinishReason?.Value);
        foreach (var observer in _observers)
        {
            try { observer.Observed(call); }
            catch (Exception) { /* an observer's failure must not change the call's outcome */ }
        }
    }

    private static ModelCallOutcome Outcome(ModelReplyException e) =>
        e.Problem == ModelReplyProblem.Truncated ? ModelCallOutcome.Truncated : ModelCallOutcome.MalformedToolCall;
}
