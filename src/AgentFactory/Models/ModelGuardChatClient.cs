using System.ClientModel;
using System.Runtime.CompilerServices;
using Anthropic.Exceptions;
using Microsoft.Extensions.AI;
using Polly.Timeout;

namespace AgentFactory.Models;

/// <summary>
/// Sits on a provider's client and gives its failures one shape, whichever SDK raised them:
/// <see cref="ModelRejectedException"/> (fix a setting), <see cref="ModelUnavailableException"/>
/// (try later) and <see cref="ModelReplyException"/> (a truncated reply or a malformed tool call,
/// which the model can fix). Retrying is not done here: the HttpClient below already did it.
/// </summary>
internal sealed class ModelGuardChatClient(IChatClient inner, ModelSpec spec) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (Exception e) when (Translate(e, cancellationToken) is { } translated)
        {
            throw translated;
        }
        Inspect(response, options);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await using var stream = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await stream.MoveNextAsync()) break;
            }
            catch (Exception e) when (Translate(e, cancellationToken) is { } translated)
            {
                throw translated;
            }
            updates.Add(stream.Current);
            yield return stream.Current;
        }
        Inspect(updates.ToChatResponse(), options);
    }

    /// <summary>Throws <see cref="ModelReplyException"/> when the reply was cut or a tool call cannot be read.</summary>
    private void Inspect(ChatResponse response, ChatOptions? options)
    {
        var broken = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().FirstOrDefault(c => c.Exception is not null);
        if (response.FinishReason == ChatFinishReason.Length)
        {
            var limit = options?.MaxOutputTokens ?? spec.MaxOutputTokens;
            var cap = limit is null ? "its output limit" : $"the output limit of {limit} tokens";
            throw new ModelReplyException(ModelReplyProblem.Truncated,
                $"Model '{spec.Name}' stopped at {cap} before finishing its reply{(broken is null ? "" : $" (in its call to '{broken.Name}')")}.",
                $"Your reply was cut off at {cap}, so it was not used. Reply again more briefly: split large edits or file contents into several smaller tool calls.",
                response, broken);
        }
        if (broken is not null)
        {
            var reason = FirstLine(broken.Exception!.Message);
            throw new ModelReplyException(ModelReplyProblem.MalformedToolCall,
                $"Model '{spec.Name}' called tool '{broken.Name}' with arguments that are not a JSON object ({reason}).",
                $"The arguments of your call to '{broken.Name}' are not a valid JSON object ({reason}). Call it again with a JSON object that matches the tool's parameters.",
                response, broken);
        }
    }

    /// <summary>The SDKs' exceptions in the user's terms; null leaves the exception as it is.</summary>
    private Exception? Translate(Exception e, CancellationToken ct)
    {
        if (ct.IsCancellationRequested && e is OperationCanceledException) return null;
        return e switch
        {
            ModelRejectedException or ModelUnavailableException or ModelReplyException or BudgetExceededException => null,
            ClientResultException { Status: > 0 } c => ForStatus(c.Status, OpenAiDetail(c), e),
            AnthropicApiException a => ForStatus((int)a.StatusCode, a.ApiMessage ?? FirstLine(a.Message), e),
            AnthropicSseException s => new ModelUnavailableException($"{Who} broke off its reply with an error: {s.ApiMessage ?? FirstLine(s.Message)}. The job's next attempt tries again.", null, e),
            OperationCanceledException or TimeoutException or TimeoutRejectedException =>
                new ModelUnavailableException($"{Who} did not answer within {spec.Timeout.TotalSeconds:0} s ({spec.Setting("timeoutSeconds")}), also after retrying. Raise the time-out for a slow local model, or try later.", null, e),
            HttpRequestException or IOException or AnthropicIOException or ClientResultException =>
                new ModelUnavailableException($"{Who} could not be reached: {FirstLine(e.InnerException?.Message ?? e.Message)}. Check {spec.Setting("baseUrl")} and that the server is running.", null, e),
            AnthropicInvalidDataException =>
                new ModelUnavailableException($"{Who} sent a reply the Anthropic client could not read ({FirstLine(e.Message)}). Check that {spec.Setting("baseUrl")} speaks Anthropic's Messages API.", null, e),
            _ => null,
        };
    }

    private string Who => $"Model '{spec.Name}' ({spec.ModelId} at {spec.BaseUrl})";

    private Exception ForStatus(int status, string detail, Exception inner)
    {
        if (ModelHttp.IsRetryable(status))
        {
            var what = status == 429 ? "is rate limited (429)" : $"answered {status}";
            return new ModelUnavailableException($"{Who} {what}, also after retrying: {detail}. The job's next attempt tries again.", status, inner);
        }
        var check = status switch
        {
            401 or 403 => $"Check the API key in {spec.KeySetting}.",
            404 => $"Check {spec.Setting("model")} ('{spec.ModelId}') and {spec.Setting("baseUrl")}.",
            _ => $"Check {spec.Setting("baseUrl")}, {spec.Setting("model")} and the key in {spec.KeySetting}; a message about length means {spec.Setting("maxOutputTokens")} or {spec.Setting("contextWindow")} is too large for this model.",
        };
        return new ModelRejectedException($"{Who} answered {status}: {detail}. {check}", status, inner);
    }

    /// <summary>The OpenAI client's message is "HTTP 401 (type: code)" then the server's text on later lines.</summary>
    private static string OpenAiDetail(ClientResultException e)
    {
        var lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var text = lines.Length > 1 ? lines[0] + " " + lines[1] : lines.FirstOrDefault() ?? "";
        return text.Length <= 300 ? text : text[..300] + "…";
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= 300 ? line : line[..300] + "…";
    }
}
