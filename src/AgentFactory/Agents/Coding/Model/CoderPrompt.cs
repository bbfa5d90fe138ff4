using System.Globalization;
using System.Text;
using AgentFactory.Agents.Trust;

namespace AgentFactory.Agents.Coding.Model;

/// <summary>What the model is told: how to work (system), the task (fenced untrusted text built by the coder agent), and the service's notes.</summary>
public static class CoderPrompt
{
    public static readonly string System =
        "You are a careful software engineer working alone in a git checkout of a repository, through tools. " +
        "Start your first reply with a short plan (a few numbered steps, in Markdown) along with your first tool call. " +
        "Work in small steps: find the relevant code (search, view_file with a line window), make the smallest change that solves the task " +
        "(str_replace for edits, create_file for new files), then run the repository's tests with run_tests. " +
        "Fix what the tests show; when they pass (or cannot run, and you say why), call finish with a summary of what you changed and how it was tested. " +
        "Never commit, push or open pull requests: the service does that with your changes. Keep outputs short; do not print whole large files.\n\n" +
        UntrustedText.Rule;

    public const string Nudge =
        "You replied without calling a tool. Continue with a tool call, or call finish(summary) if the task is complete.";

    public const string Resumed =
        "The service restarted during an earlier attempt at this task. The conversation above is that attempt, and the checkout holds its committed work. " +
        "Continue from where it stopped; do not start over.";

    /// <summary>The first user message: where the agent is and the task (its untrusted parts already fenced by the coder agent).</summary>
    public static string Task(CodingTask task)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Repository: {task.Repository}. You are on branch {task.Branch}, based on {task.BaseBranch}. ");
        text.Append(task.FollowUp
            ? "This continues an existing pull request: its earlier commits are in the checkout. Address the requests below.\n\n"
            : "Resolve the task below.\n\n");
        text.Append(task.Instructions);
        return text.ToString();
    }
}
