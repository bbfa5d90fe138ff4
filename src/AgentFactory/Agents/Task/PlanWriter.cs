using System.Text;
using AgentFactory.Agents.Trust;
using AgentFactory.Models;

namespace AgentFactory.Agents.Tasks;

/// <summary>What the task agent knows about the issue.</summary>
public sealed record IssueInfo(int Number, string Title, string Body, string Url, string Author, IReadOnlyList<string> Labels);

/// <summary>
/// Writes the implementation plan for an issue: the "default" model's when there is one, else a template
/// that restates the issue and lists the repository's files it names. The template is pure.
/// </summary>
public sealed class PlanWriter(ModelClients models)
{
    public const string SystemPrompt =
        "You are a senior engineer. Write an implementation plan in Markdown for the GitHub issue below: " +
        "a short summary of what is asked, the files to change (from the repository's file list), numbered " +
        "steps, the tests to add, and risks or open questions. Do not write the full code. Start with a " +
        "level-1 heading. " + UntrustedText.Rule;

    /// <summary>
    /// The issue's title, labels and body are written by anyone who can open an issue: each is cleaned of
    /// hidden content and fenced as untrusted input (<see cref="UntrustedText"/>) before it reaches the model.
    /// </summary>
    public async Task<(string Markdown, string Author)> WriteAsync(AgentJob job, string repository, IssueInfo issue, IReadOnlyList<string> files, bool useLlm, CancellationToken ct)
    {
        if (!useLlm || models.Default is not { } model) return (Template(issue, files), "template");
        var maxChars = (int)Math.Min(model.Spec.MaxInputChars, int.MaxValue);
        var prompt = new StringBuilder(Prompt(repository, issue, maxChars / 3)).Append("\n\nFiles in the repository:\n");
        var room = maxChars - SystemPrompt.Length - prompt.Length - 200;
        var listed = 0;
        foreach (var f in files)
        {
            if (room - (f.Length + 1) < 0) break;
            prompt.Append(f).Append('\n');
            room -= f.Length + 1;
            listed++;
        }
        if (listed < files.Count) prompt.Append("[… ").Append(files.Count - listed).Append(" more files not listed to fit the input budget]\n");
        string plan;
        try
        {
            plan = (await model.CompleteTextAsync(SystemPrompt, prompt.ToString(), new BudgetScope(job.Id, repository, BudgetLimits.None), ct)).Text;
        }
        catch (Exception e) when (e is ModelRejectedException or BudgetExceededException)
        {
            throw new PermanentAgentException(e.Message, e);
        }
        return (plan + $"\n\n<sub>Plan by {model.Spec.ModelId} via Agent Factory for {issue.Url}.</sub>\n", model.Spec.ModelId);
    }

    /// <summary>What the model is told about the issue: the repository and number, then the issue's own text fenced.</summary>
    public static string Prompt(string repository, IssueInfo issue, int maxBodyChars) => new StringBuilder()
        .Append("Repository: ").Append(repository).Append('\n')
        .Append("Issue #").Append(issue.Number).Append(", its title:\n").Append(UntrustedText.Fence("issue title", issue.Title)).Append('\n')
        .Append("Labels:\n").Append(UntrustedText.Fence("issue labels", string.Join(", ", issue.Labels))).Append("\n\n")
        .Append("The issue's description:\n").Append(UntrustedText.Fence("issue body", Cut(issue.Body, maxBodyChars)))
        .ToString();

    public static string Template(IssueInfo issue, IReadOnlyList<string> files)
    {
        var md = new StringBuilder();
        md.Append("# Plan for #").Append(issue.Number).Append(": ").Append(issue.Title).Append("\n\n");
        md.Append("Issue: ").Append(issue.Url).Append(" · opened by @").Append(issue.Author);
        if (issue.Labels.Count > 0) md.Append(" · labels: ").Append(string.Join(", ", issue.Labels));
        md.Append("\n\n## What is asked\n\n");
        var body = string.IsNullOrWhiteSpace(issue.Body) ? "(The issue has no description.)" : Cut(issue.Body.Trim(), 3000);
        foreach (var line in body.Split('\n')) md.Append("> ").Append(line.TrimEnd('\r')).Append('\n');
        md.Append("\n## Where to look\n\n");
        var named = NamedFiles(issue.Title + "\n" + issue.Body, files);
        if (named.Count == 0) md.Append("No file of the repository is named in the issue; start from the README and the code it describes.\n");
        foreach (var f in named) md.Append("- `").Append(f).Append("`\n");
        md.Append("""

            ## Steps

            1. Restate the request as a failing test (or a reproduction for a bug).
            2. Make the change in the files above, keeping it as small as the request allows.
            3. Update the documentation where the behaviour a user sees changes.
            4. Run the whole test suite, then ask for review on this pull request.

            ## Done when

            - [ ] The issue's request is met
            - [ ] A test covers it
            - [ ] Reviewed and merged

            <sub>Template plan by Agent Factory (no LLM configured). Edit this file or push to this branch to refine it.</sub>

            """);
        return md.ToString();
    }

    /// <summary>Repository paths the text mentions, by full path or by a distinctive file name.</summary>
    public static IReadOnlyList<string> NamedFiles(string text, IReadOnlyList<string> files)
    {
        var found = new List<string>();
        foreach (var path in files)
        {
            var fileName = Path.GetFileName(path);
            if (text.Contains(path, StringComparison.OrdinalIgnoreCase)
                || (fileName.Contains('.', StringComparison.Ordinal) && fileName.Length >= 5 && ContainsWord(text, fileName)))
                found.Add(path);
            if (found.Count == 20) break;
        }
        return found;
    }

    private static bool ContainsWord(string text, string word)
    {
        for (var i = text.IndexOf(word, StringComparison.OrdinalIgnoreCase); i >= 0; i = text.IndexOf(word, i + 1, StringComparison.OrdinalIgnoreCase))
        {
            var before = i == 0 || !char.IsLetterOrDigit(text[i - 1]);
            var end = i + word.Length;
            var after = end == text.Length || !char.IsLetterOrDigit(text[end]);
            if (before && after) return true;
        }
        return false;
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max] + "\n[… cut]";
}
