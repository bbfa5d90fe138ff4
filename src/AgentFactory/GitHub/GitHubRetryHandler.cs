namespace AgentFactory.GitHub;

/// <summary>
/// Sits under Octokit and retries per <see cref="GitHubRetryPolicy"/>. Waits observe the job's
/// cancellation (carried in <see cref="GitHubCall.Cancellation"/>, since Octokit takes no token).
/// </summary>
internal sealed partial class GitHubRetryHandler(GitHubSettings settings, TimeProvider time, ILogger log) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, GitHubCall.Cancellation.Value);
        var ct = linked.Token;
        for (var retry = 0; ; retry++)
        {
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, ct);
            }
            catch (HttpRequestException e) when (retry < settings.MaxRetries && GitHubRetryPolicy.IsRead(request.Method))
            {
                var wait = GitHubRetryPolicy.Backoff(retry, settings);
                LogNetworkRetry(log, request.Method.Method, request.RequestUri?.AbsolutePath ?? "", e.Message, wait.TotalSeconds, retry + 1, settings.MaxRetries);
                await Task.Delay(wait, time, ct);
                continue;
            }

            var status = (int)response.StatusCode;
            if (status < 400) return response;
            var headers = HeadersOf(response);
            string? body = null;
            if (status == 403 && headers.RetryAfter is null && headers.Remaining != "0")
            {
                await response.Content.LoadIntoBufferAsync(ct);
                body = await response.Content.ReadAsStringAsync(ct);
            }
            var delay = GitHubRetryPolicy.Decide(request.Method, status, headers, body, retry, time.GetUtcNow(), settings);
            if (delay is null) return response;
            LogRetry(log, request.Method.Method, request.RequestUri?.AbsolutePath ?? "", status, delay.Value.TotalSeconds, retry + 1, settings.MaxRetries);
            response.Dispose();
            await Task.Delay(delay.Value, time, ct);
        }
    }

    private RateLimitHeaders HeadersOf(HttpResponseMessage response)
    {
        TimeSpan? retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow(),
            _ => null,
        };
        var remaining = response.Headers.TryGetValues("x-ratelimit-remaining", out var r) ? r.FirstOrDefault() : null;
        long? reset = response.Headers.TryGetValues("x-ratelimit-reset", out var s) && long.TryParse(s.FirstOrDefault(), out var v) ? v : null;
        return new RateLimitHeaders(retryAfter, remaining, reset);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "GitHub {Method} {Path} answered {Status}; retrying in {Delay:F1}s ({Retry}/{Max})")]
    private static partial void LogRetry(ILogger logger, string method, string path, int status, double delay, int retry, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "GitHub {Method} {Path} failed ({Reason}); retrying in {Delay:F1}s ({Retry}/{Max})")]
    private static partial void LogNetworkRetry(ILogger logger, string method, string path, string reason, double delay, int retry, int max);
}
