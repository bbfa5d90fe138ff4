using System.ClientModel;
using System.ClientModel.Primitives;
using AgentFactory.Agents;
using Anthropic;
using Anthropic.Core;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AgentFactory.Models;

/// <summary>The text of a reply; <see cref="Truncated"/> when it stopped at the output limit.</summary>
public sealed record ModelText(string Text, bool Truncated);

/// <summary>
/// One model of the catalog, ready to call: its provider's SDK behind <see cref="IChatClient"/>,
/// sending through an HttpClient with the retry policy, with failures in one shape
/// (<see cref="ModelGuardChatClient"/>). Callers get a job's view with <see cref="ChatFor"/>, so no
/// call bypasses the budget ledger.
/// </summary>
public sealed class ModelClient : IDisposable
{
    private readonly IChatClient _guarded;
    private readonly HttpClient _http;
    private readonly IBudgetLedger _ledger;
    private readonly IReadOnlyList<IModelCallObserver> _observers;
    private readonly TimeProvider _time;

    internal ModelClient(ModelSpec spec, string? key, ModelRetryOptions retry, IBudgetLedger ledger, IReadOnlyList<IModelCallObserver> observers, TimeProvider time, ILogger log)
    {
        Spec = spec;
        (_ledger, _observers, _time) = (ledger, observers, time);
        _http = ModelHttp.Create(spec, retry, time, log);
        _guarded = new ModelGuardChatClient(Provider(spec, key, _http, ModelHttp.Overall(spec, retry)), spec);
    }

    public ModelSpec Spec { get; }

    /// <summary>
    /// The model for one job: every call is checked against <paramref name="scope"/>'s budgets
    /// first and its usage is settled and observed after. Put a FunctionInvokingChatClient on top
    /// for automatic tool calls; each of its round trips is a call here.
    /// </summary>
    public BudgetedChatClient ChatFor(BudgetScope scope)
    {
        CheckBudget(scope.Limits, "The job's budget");
        return new BudgetedChatClient(_guarded, Spec, scope, _ledger, _observers, _time);
    }

    /// <summary>Refuses budgets this model cannot enforce (USD without prices, USD or output tokens without an output limit); call it at start-up with the budget's setting name.</summary>
    public void CheckBudget(BudgetLimits limits, string budgetSetting)
    {
        if (Spec.CannotEnforce(limits, budgetSetting) is { } problem) throw new AgentConfigurationException(problem);
    }

    /// <summary>A system and a user message in, the reply's text out (a truncated reply's text too, flagged).</summary>
    public async Task<ModelText> CompleteTextAsync(string system, string user, BudgetScope scope, CancellationToken ct)
    {
        ChatMessage[] messages = [new(ChatRole.System, system), new(ChatRole.User, user)];
        ChatResponse response;
        var truncated = false;
        try
        {
            using var chat = ChatFor(scope);
            response = await chat.GetResponseAsync(messages, null, ct);
        }
        catch (ModelReplyException e) when (e.Problem == ModelReplyProblem.Truncated)
        {
            (response, truncated) = (e.Response, true);
        }
        var text = response.Text.Trim();
        return text.Length > 0 ? new ModelText(text, truncated)
            : throw new InvalidOperationException($"Model '{Spec.Name}' ({Spec.ModelId}) returned no text (finish reason {response.FinishReason?.Value ?? "none"}).");
    }

    public void Dispose()
    {
        _guarded.Dispose();
        _http.Dispose();
    }

    /// <summary>The provider's SDK with its own retries off (one policy, in the HttpClient) and its key given explicitly, never read from the environment by the SDK.</summary>
#pragma warning disable CA2000 // the SDK client is owned by the IChatClient returned, disposed with the ModelClient
    private static IChatClient Provider(ModelSpec spec, string? key, HttpClient http, TimeSpan overall) => spec.Provider switch
    {
        ModelProvider.Anthropic => new AnthropicClient(new ClientOptions
        {
            BaseUrl = spec.BaseUrl.AbsoluteUri.TrimEnd('/'),
            ApiKey = key,
            HttpClient = http,
            MaxRetries = 0,
            Timeout = overall,
        }).AsIChatClient(spec.ModelId, spec.MaxOutputTokens),
        _ => new OpenAI.Chat.ChatClient(spec.ModelId, new ApiKeyCredential(key ?? "not-needed"), new OpenAIClientOptions
        {
            Endpoint = spec.BaseUrl,
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = overall,
        }).AsIChatClient(),
    };
#pragma warning restore CA2000
}
