using System.Globalization;
using System.Text.Json;
using AgentFactory.Agents.CodeReview;
using AgentFactory.GitHub;
using AgentFactory.Models;
using AgentFactory.Routing;

namespace AgentFactory.Agents.Ask;

/// <summary>
/// <c>/ask &lt;question&gt;</c> answered (issue 14 items 1 and 4): on a pull request, from its diff and the files it
/// touches as they are at its head; on an issue, from the issue's text. One model call through the shared model layer
/// (the job's budget, the catalog's input limit, the diff packed to it with a word on what was left out), and one reply:
/// in the review thread when asked in one, else on the conversation. The question and every text of the pull request
/// are untrusted input, fenced. Without a model the reply says how to configure one.
/// </summary>
public sealed partial class AskAgent(string name, AskSettings settings, GitHubClients github, ModelClient? model, ILogger<AskAgent> log) : IAgent
{
    /// <summary>The most changed files whose contents are read for the prompt (the diff holds them all).</summary>
    public const int MaxFilesRead = 30;

    public const string NoModel =
        "I can't answer questions yet: no model is configured. Set LLM_BASE_URL and LLM_MODEL (and LLM_API_KEY when the endpoint needs one), " +
        "or define a model under \"models\" in routing.json and name it in the ask agent's \"model\", then restart the service (docs/agents.md#the-ask-agent).";

    public string Name { get; } = name;

    public async Task<AgentResult> RunAsync(AgentJob job, CancellationToken ct)
    {
        if (CommentRouting.NumberOf(job.Payload) is not { } n || n is < 1 or > int.MaxValue)
            throw new PermanentAgentException("The /ask comment's payload names no issue or pull request (issue.number or pull_request.number).");
        var number = (int)n;
        _ = long.TryParse(job.PayloadString("comment.id"), CultureInfo.InvariantCulture, out var commentId);
        var asker = job.PayloadString("comment.user.login") ?? job.PayloadString("sender.login");
        var thread = Thread(job);
        long? threadRoot = thread is null ? null : long.TryParse(job.PayloadString("comment.in_reply_to_id"), CultureInfo.InvariantCulture, out var root) ? root : commentId;
        var repo = await github.ForJobAsync(job, Name, ct);
        Task<string> Reply(string body) => AskReply.PostAsync(repo, number, commentId, threadRoot, body, ct);

        var question = job.PayloadString("agentfactory.argument")?.Trim() ?? "";
        if (question.Length == 0)
        {
            await Reply($"@{asker} Ask your question after the command, for example `/ask why does this change the retry delay?`.");
            return AgentResult.Success($"#{number} of {repo.FullName}: /ask without a question; replied how to ask.");
        }
        if (model is null)
        {
            await Reply(NoModel);
            return AgentResult.Success($"#{number} of {repo.FullName}: no model is configured; replied how to configure one.");
        }

        var (subject, changes, files) = IsPullRequest(job.Payload) ? await PullRequestAsync(repo, number, ct) : await IssueAsync(repo, number, ct);
        var prompt = AskPrompts.Build(repo.FullName, subject, question, asker, thread, changes, files, model.Spec.MaxInputChars, settings.MaxFileChars);
        ModelText answer;
        try
        {
            answer = await model.CompleteTextAsync(AskPrompts.System, prompt.Text, new BudgetScope(job.Id, repo.FullName, settings.Budget), ct);
        }
        catch (Exception e) when (e is ModelRejectedException or BudgetExceededException)
        {
            throw new PermanentAgentException(e.Message, e);
        }
        var url = await Reply(AskReply.Answer(asker, answer.Text, model.Spec.ModelId, prompt.Note, answer.Truncated));
        LogAnswered(log, repo.FullName, number, model.Spec.ModelId, prompt.Text.Length);
        return AgentResult.Success($"Answered @{asker}'s question on {subject.Kind} #{number} of {repo.FullName} ({model.Spec.ModelId}, " +
            $"{changes.Count} changed files, {files.Count} read{(prompt.Note.Length > 0 ? "; " + prompt.Note : "")}); {url}");
    }

    /// <summary>A pull request's title, description, diff and changed files at its head (source files first, as the review ranks them).</summary>
    private async Task<(AskSubject, IReadOnlyList<FileChange>, IReadOnlyList<AskFile>)> PullRequestAsync(GitHubRepo repo, int number, CancellationToken ct)
    {
        var pr = await repo.CallAsync($"reading pull request #{number}", c => c.PullRequest.Get(repo.Owner, repo.Name, number), ct);
        var listed = await repo.CallAsync($"listing the files of pull request #{number}", c => c.PullRequest.Files(repo.Owner, repo.Name, number), ct);
        var changes = listed.Select(f => new FileChange(f.FileName, f.Status, f.Additions, f.Deletions, f.Patch)).ToList();
        var files = new List<AskFile>();
        var head = pr.Head?.Sha is { } sha ? Workspace.GitTarget.Commit(sha, "the pull request's head").Name : null;
        if (settings.Files && head is not null)
            foreach (var change in DiffBudget.Rank(changes).Where(c => c.Status != "removed" && c.Patch is not null && !DiffBudget.IsGenerated(c.Path)).Take(MaxFilesRead))
                if (await ContentAsync(repo, change.Path, head, ct) is { } text) files.Add(new AskFile(change.Path, text));
        return (new AskSubject("pull request", number, pr.Title ?? "", pr.Body, pr.User?.Login), changes, files);
    }

    private static async Task<(AskSubject, IReadOnlyList<FileChange>, IReadOnlyList<AskFile>)> IssueAsync(GitHubRepo repo, int number, CancellationToken ct)
    {
        var issue = await repo.CallAsync($"reading issue #{number}", c => c.Issue.Get(repo.Owner, repo.Name, number), ct);
        return (new AskSubject("issue", number, issue.Title ?? "", issue.Body, issue.User?.Login), [], []);
    }

    /// <summary>A text file at the commit (GET /contents); null when it is gone, not text, larger than GitHub serves this way (1 MB), or cannot be read.</summary>
    private async Task<string?> ContentAsync(GitHubRepo repo, string path, string sha, CancellationToken ct)
    {
        try
        {
            var contents = await repo.CallAsync($"reading {path} at {sha[..7]}", c => c.Repository.Content.GetAllContentsByRef(repo.Owner, repo.Name, path, sha), ct);
            var text = contents.Count == 1 && contents[0].Type.StringValue == "file" ? contents[0].Content : null;
            return string.IsNullOrEmpty(text) || text.Contains('\0', StringComparison.Ordinal) ? null : text;
        }
        catch (PermanentAgentException e)
        {
            LogFileSkipped(log, path, e.Message);
            return null;
        }
    }

    /// <summary>A review comment's place (pull_request_review_comment): its file and diff hunk.</summary>
    private static AskThread? Thread(AgentJob job) =>
        job.PayloadString("comment.diff_hunk") is { Length: > 0 } hunk && job.PayloadString("comment.path") is { Length: > 0 } path ? new AskThread(path, hunk) : null;

    private static bool IsPullRequest(JsonElement payload) =>
        payload.TryGetProperty("pull_request", out var pr) && pr.ValueKind == JsonValueKind.Object
        || payload.TryGetProperty("issue", out var issue) && issue.ValueKind == JsonValueKind.Object
            && issue.TryGetProperty("pull_request", out var link) && link.ValueKind == JsonValueKind.Object;

    [LoggerMessage(Level = LogLevel.Information, Message = "Ask: answered on {Repository} #{Number} with {Model} ({PromptChars} prompt characters)")]
    private static partial void LogAnswered(ILogger logger, string repository, int number, string model, int promptChars);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ask: {Path} left out of the prompt: {Reason}")]
    private static partial void LogFileSkipped(ILogger logger, string path, string reason);
}
