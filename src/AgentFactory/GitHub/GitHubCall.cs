using System.Net;
using AgentFactory.Agents;
using Octokit;

namespace AgentFactory.GitHub;

/// <summary>GitHub could not answer now (rate limit, 5xx, network): the attempt fails and the job is retried later.</summary>
public sealed class GitHubUnavailableException : Exception
{
    public GitHubUnavailableException() { }
    public GitHubUnavailableException(string message) : base(message) { }
    public GitHubUnavailableException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Runs one Octokit call for an agent and turns GitHub's errors into the agent contract: a 4xx that
/// no retry can fix (401, 403, 404, 422 …) is a <see cref="PermanentAgentException"/> carrying
/// GitHub's message; rate limits and 5xx are <see cref="GitHubUnavailableException"/> (retried).
/// </summary>
public static class GitHubCall
{
    /// <summary>The running job's token, for the retry handler's waits (Octokit's methods take none).</summary>
    internal static readonly AsyncLocal<CancellationToken> Cancellation = new();

    /// <param name="what">What the call does, for messages: "reading the compare diff".</param>
    public static async Task<T> RunAsync<T>(string what, Func<Task<T>> call, CancellationToken ct)
    {
        Cancellation.Value = ct;
        try
        {
            return await call().WaitAsync(ct);
        }
        catch (RateLimitExceededException e)
        {
            throw new GitHubUnavailableException($"GitHub rate limit reached while {what} (resets at {e.Reset:u}).", e);
        }
        catch (SecondaryRateLimitExceededException e)
        {
            throw new GitHubUnavailableException($"GitHub secondary rate limit while {what}: {e.Message}", e);
        }
        catch (AbuseException e)
        {
            throw new GitHubUnavailableException($"GitHub secondary rate limit while {what}: {e.Message}", e);
        }
        catch (ApiException e) when ((int)e.StatusCode >= 500 || e.StatusCode == HttpStatusCode.TooManyRequests)
        {
            throw new GitHubUnavailableException($"GitHub answered {(int)e.StatusCode} while {what}: {e.Message}", e);
        }
        catch (ApiException e)
        {
            throw new PermanentAgentException($"GitHub answered {(int)e.StatusCode} ({e.StatusCode}) while {what}: {MessageOf(e)}", e);
        }
        catch (HttpRequestException e)
        {
            throw new GitHubUnavailableException($"GitHub could not be reached while {what}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new GitHubUnavailableException($"GitHub did not answer in time while {what}.", e);
        }
    }

    /// <summary>GitHub's message plus its validation details ("A pull request already exists for …").</summary>
    internal static string MessageOf(ApiException e)
    {
        var details = e.ApiError?.Errors?.Select(d => d.Message ?? $"{d.Resource}.{d.Field} {d.Code}").Where(d => !string.IsNullOrWhiteSpace(d)).ToList() ?? [];
        return details.Count == 0 ? e.Message : $"{e.Message} ({string.Join("; ", details)})";
    }
}
