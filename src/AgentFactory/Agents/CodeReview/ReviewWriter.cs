using System.Text;
using AgentFactory.Agents.Trust;
using AgentFactory.Models;

namespace AgentFactory.Agents.CodeReview;

/// <summary>A review ready to post.</summary>
/// <param name="Author">"deterministic checks" or the model's name.</param>
public sealed record Review(string Body, int Findings, string Author);

/// <summary>
/// Writes the review text: the "default" model's review of the diff (trimmed to its prompt budget, saying what
/// was left out) followed by the deterministic checks, or the checks alone without an LLM. If the
/// LLM is unreachable the attempt fails so the job is retried; on the last attempt the checks are
/// posted alone with a note, so a flaky LLM never costs the review entirely.
/// </summary>
public sealed class ReviewWriter(ModelClients models)
{
    public const string SystemPrompt =
        "You are a careful senior engineer reviewing a change. Point out bugs, security problems, risky or " +
        "breaking changes and missing tests, citing the file and line. Be specific and brief; use Markdown " +
        "bullet points; do not repeat the diff. If the change looks fine, say so in one sentence. Review only " +
        "what is shown; when the prompt says parts were left out, do not guess about them. " + UntrustedText.Rule;

    private const int GitHubBodyLimit = 65_000;

    public async Task<Review> WriteAsync(AgentJob job, string title, string repository, IReadOnlyList<string> messages, IReadOnlyList<FileChange> files, CodeReviewSettings settings, CancellationToken ct)
    {
        var findings = DiffReview.Analyze(files, settings.Limits);
        var checks = DiffReview.ToMarkdown(files, findings, settings.Limits);
        var heading = $"## Code review: {title}\n\n";
        if (!settings.UseLlm || models.Default is not { } model)
            return new Review(Cap(heading + checks + "\n<sub>Deterministic review by Agent Factory (no LLM configured).</sub>\n"), findings.Count, "deterministic checks");

        var context = Context(repository, title, messages);
        var budget = Math.Min(model.Spec.MaxInputChars, int.MaxValue) - SystemPrompt.Length - context.Length - 600;
        var diff = DiffBudget.Fit(files, (int)Math.Max(0, budget));
        var prompt = new StringBuilder(context).Append('\n').Append(diff.Complete ? "" : diff.Note() + "\n\n")
            .Append("Diff:\n").Append(UntrustedText.FenceCode("diff", diff.Text)).ToString();

        string text;
        try
        {
            text = (await model.CompleteTextAsync(SystemPrompt, prompt, new BudgetScope(job.Id, repository, BudgetLimits.None), ct)).Text;
        }
        catch (Exception e) when (e is ModelRejectedException or BudgetExceededException)
        {
            throw new PermanentAgentException(e.Message, e);
        }
        catch (Exception e) when (e is not OperationCanceledException && job.Attempt >= job.Record.MaxAttempts)
        {
            return new Review(Cap(heading + checks + $"\n<sub>The LLM ({model.Spec.ModelId}) could not be reached on the last attempt ({e.Message}); these are the deterministic checks only.</sub>\n"), findings.Count, "deterministic checks");
        }
        var footer = $"<sub>Review by {model.Spec.ModelId} via Agent Factory.{(diff.Complete ? "" : " " + diff.Note())}</sub>\n";
        return new Review(Cap($"{heading}{text}\n\n#### Automated checks\n\n{checks}\n{footer}"), findings.Count, model.Spec.ModelId);
    }

    /// <summary>
    /// The change's title and its commit messages (or the pull request's description) are written by whoever
    /// pushed or opened it: cleaned of hidden content and fenced as untrusted input. The diff is fenced as code
    /// (<see cref="UntrustedText.FenceCode"/>): its invisible characters are shown, not dropped.
    /// </summary>
    public static string Context(string repository, string title, IReadOnlyList<string> messages)
    {
        var context = new StringBuilder()
            .Append("Repository: ").Append(repository).Append('\n')
            .Append("Change:\n").Append(UntrustedText.Fence("change title", title)).Append('\n');
        var shown = messages.Where(m => m.Length > 0).Take(20).Select(m => m.Length > 500 ? m[..500] + "…" : m).ToList();
        if (shown.Count > 0) context.Append("Messages:\n").Append(UntrustedText.Fence("commit messages", string.Join("\n---\n", shown))).Append('\n');
        return context.ToString();
    }

    private static string Cap(string body) => body.Length <= GitHubBodyLimit ? body : body[..GitHubBodyLimit] + "\n\n[… review cut at GitHub's comment size limit]";
}
