using System.Text;
using AgentFactory.Agents.CodeReview;
using AgentFactory.Agents.Trust;

namespace AgentFactory.Agents.Ask;

/// <summary>What the question is about: a pull request or an issue, its text as written (untrusted).</summary>
/// <param name="Kind">"pull request" or "issue".</param>
public sealed record AskSubject(string Kind, int Number, string Title, string? Body, string? Author);

/// <summary>A changed file as it is at the pull request's head.</summary>
public sealed record AskFile(string Path, string Text);

/// <summary>The review comment's place when the question was asked in a review thread: its file and diff hunk.</summary>
public sealed record AskThread(string Path, string Hunk);

/// <summary>The prompt, and one sentence on what had to be left out of it to fit (empty when nothing was).</summary>
public sealed record AskPrompt(string Text, string Note);

/// <summary>
/// The /ask prompt: the repository, the pull request's (or issue's) title and description, the question, the review
/// thread's hunk when there is one — each fenced as untrusted input — then the diff and the changed files as they are at
/// the head, fenced as code. Diff and files share the model's input budget (the diff first, packed by
/// <see cref="DiffBudget"/>; files ranked the same way, each cut at a ceiling); whatever is cut or left out is named, in the
/// prompt and in the reply. Pure.
/// </summary>
public static class AskPrompts
{
    public const string System =
        "You answer a team member's question about a pull request or an issue of their repository. Answer from what is shown: " +
        "the description, the diff and the files. When the prompt says parts were left out, or the answer depends on code that is " +
        "not shown, say so plainly instead of guessing. Be concise and specific; use Markdown, and name files and lines when you " +
        "refer to code. " + UntrustedText.Rule;

    /// <summary>Room kept for the markers and headings this class adds around the parts.</summary>
    private const int Slack = 600;

    public static AskPrompt Build(string repository, AskSubject subject, string question, string? asker, AskThread? thread,
        IReadOnlyList<FileChange> changes, IReadOnlyList<AskFile> files, long maxChars, int maxFileChars)
    {
        var context = new StringBuilder()
            .Append("Repository: ").Append(repository).Append('\n')
            .Append(subject.Kind).Append(" #").Append(subject.Number).Append(subject.Author is null ? "" : $", opened by @{subject.Author}").Append(":\n")
            .Append(UntrustedText.Fence(subject.Kind.Replace(' ', '-'), $"{subject.Title}\n\n{subject.Body}")).Append('\n');
        if (thread is not null)
            context.Append("\nThe question was asked on ").Append(UntrustedText.Clean(thread.Path)).Append(", at the end of this part of the diff:\n")
                .Append(UntrustedText.FenceCode("diff", thread.Hunk)).Append('\n');
        context.Append("\nThe question (by @").Append(asker ?? "?").Append("):\n").Append(UntrustedText.Fence("question", question)).Append('\n');

        var room = Math.Max(0, Math.Min(maxChars, int.MaxValue) - System.Length - context.Length - Slack);
        if (changes.Count == 0) return new AskPrompt(context.ToString(), "");

        var diff = DiffBudget.Fit(DiffBudget.Rank(changes), (int)(files.Count > 0 ? room * 2 / 3 : room));
        var (shown, cut, omitted) = Pack(files, (int)room - diff.Text.Length, maxFileChars);
        var notes = new List<string>();
        if (!diff.Complete) notes.Add(diff.Note());
        if (cut.Count > 0 || omitted.Count > 0)
        {
            var parts = new List<string>();
            if (cut.Count > 0) parts.Add($"shown in part: {string.Join(", ", cut)}");
            if (omitted.Count > 0) parts.Add($"not shown: {string.Join(", ", omitted)}");
            notes.Add($"Of the changed files at the head, some did not fit ({string.Join("; ", parts)}).");
        }
        var note = string.Join(" ", notes);

        var prompt = new StringBuilder(context.ToString()).Append('\n');
        if (note.Length > 0) prompt.Append(note).Append("\n\n");
        prompt.Append("Diff:\n").Append(UntrustedText.FenceCode("diff", diff.Text)).Append('\n');
        if (shown.Length > 0) prompt.Append("\nThe changed files at the pull request's head:\n").Append(UntrustedText.FenceCode("files", shown)).Append('\n');
        return new AskPrompt(prompt.ToString(), note);
    }

    /// <summary>Whole files while they fit (each cut at <paramref name="maxFileChars"/>), then the head of the next, then names only.</summary>
    private static (string Text, List<string> Cut, List<string> Omitted) Pack(IReadOnlyList<AskFile> files, int room, int maxFileChars)
    {
        var text = new StringBuilder();
        var cut = new List<string>();
        var omitted = new List<string>();
        const string Cut = "[… the rest of this file was cut to fit]\n";
        foreach (var file in files)
        {
            var path = UntrustedText.Clean(file.Path);
            var header = $"=== {path}\n";
            var body = file.Text.EndsWith('\n') ? file.Text : file.Text + "\n";
            var left = room - text.Length - header.Length;
            var keep = Math.Min(maxFileChars, left - Cut.Length);
            if (body.Length <= Math.Min(maxFileChars, left)) text.Append(header).Append(body);
            else if (keep >= DiffBudget.MinUsefulChars && omitted.Count == 0)
            {
                var head = body[..keep];
                var end = head.LastIndexOf('\n');
                text.Append(header).Append(end > 0 ? head[..(end + 1)] : head + "\n").Append(Cut);
                cut.Add(path);
            }
            else omitted.Add(path);
        }
        return (text.ToString(), cut, omitted);
    }
}
