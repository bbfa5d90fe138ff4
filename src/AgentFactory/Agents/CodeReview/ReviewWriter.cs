using System.Text;
using AgentFactory.Agents.Trust;
using AgentFactory.Models;

namespace AgentFactory.Agents.CodeReview;

/// <summary>
/// A review before it is posted: the model's summary and findings (or none without a model), the
/// deterministic checks' findings, both already filtered by the severity threshold, and which files the
/// model was not shown (or shown in part) because they did not fit its input budget.
/// </summary>
/// <param name="Author">"deterministic checks" or the model's id.</param>
/// <param name="Note">One sentence on how the review was made, for the footer.</param>
public sealed record ReviewDraft(string Title, string Summary, IReadOnlyList<ReviewFinding> ModelFindings, IReadOnlyList<Finding> Checks,
    IReadOnlyList<FileChange> Files, IReadOnlyList<string> NotReviewed, IReadOnlyList<string> PartlyReviewed, string Author, string Note)
{
    public IReadOnlyList<ReviewFinding> AllFindings => [.. ModelFindings, .. Checks.Select(ReviewSeverities.FromCheck)];
}

/// <summary>
/// Writes the review: the "default" model's review of the diff, asked for as JSON findings
/// (<see cref="ModelFindings"/>), the files ranked and packed to its input budget (<see cref="DiffBudget"/>),
/// plus the deterministic checks, or the checks alone without a model. A reply that is not the JSON
/// asked for becomes the summary. If the model is unreachable the attempt fails so the job is retried;
/// on the last attempt the checks are posted alone with a note, so a flaky model never costs the review.
/// </summary>
public sealed class ReviewWriter(ModelClients models)
{
    public const string SystemPrompt =
        "You are a careful senior engineer reviewing a change. Point out bugs, security problems, risky or " +
        "breaking changes and missing tests, each on the file and line it is about. Be specific and brief; do not " +
        "repeat the diff. Review only what is shown; when the prompt says parts were left out, do not guess about them. " +
        ModelFindings.Format + " " + UntrustedText.Rule;

    public async Task<ReviewDraft> WriteAsync(AgentJob job, string title, string repository, IReadOnlyList<string> messages, IReadOnlyList<FileChange> files, CodeReviewSettings settings, CancellationToken ct)
    {
        var threshold = settings.Threshold;
        var checks = DiffReview.Analyze(files, settings.Limits).Where(f => ReviewSeverities.FromCheck(f).Severity >= threshold).ToList();
        if (!settings.UseLlm || !models.TryGet(settings.Model, out var model))
            return new ReviewDraft(title, "", [], checks, files, [], [], "deterministic checks", "Deterministic review by Agent Factory (no LLM configured).");

        var context = Context(repository, title, messages);
        var budget = Math.Min(model.Spec.MaxInputChars, int.MaxValue) - SystemPrompt.Length - context.Length - 600;
        var diff = DiffBudget.Fit(DiffBudget.Rank(files), (int)Math.Max(0, budget));
        var prompt = new StringBuilder(context).Append('\n').Append(diff.Complete ? "" : diff.Note() + "\n\n")
            .Append("Diff:\n").Append(UntrustedText.FenceCode("diff", diff.Text)).ToString();

        string text;
        try
        {
            text = (await model.CompleteTextAsync(SystemPrompt, prompt, new BudgetScope(job.Id, repository, settings.Budget), ct)).Text;
        }
        catch (Exception e) when (e is ModelRejectedException or BudgetExceededException)
        {
            throw new PermanentAgentException(e.Message, e);
        }
        catch (Exception e) when (e is not OperationCanceledException && job.Attempt >= job.Record.MaxAttempts)
        {
            return new ReviewDraft(title, "", [], checks, files, [], [], "deterministic checks",
                $"The LLM ({model.Spec.ModelId}) could not be reached on the last attempt ({e.Message}); these are the deterministic checks only.");
        }
        var reply = ModelFindings.Parse(text);
        var summary = reply.Structured ? reply.Summary : reply.Summary + "\n\n_(The model did not reply with the JSON findings asked for; its reply is shown as written.)_";
        var found = reply.Findings.Where(f => f.Severity >= threshold).Select(f => f with { Message = ReviewMarker.Defuse(f.Message) }).ToList();
        return new ReviewDraft(title, ReviewMarker.Defuse(summary.Trim()), found, checks, files, diff.Omitted, diff.Truncated, model.Spec.ModelId,
            $"Review by {model.Spec.ModelId} via Agent Factory.{(diff.Complete ? "" : " " + diff.Note())}");
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
}
