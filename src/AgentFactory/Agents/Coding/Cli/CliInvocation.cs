using System.Globalization;
using System.Text;
using AgentFactory.Models;
using AgentFactory.Models.Gateway;
using AgentFactory.Sandbox;

namespace AgentFactory.Agents.Coding.Cli;

/// <summary>
/// The command line, environment and stdin of one CLI run: headless, allowed to edit the worktree without
/// asking (the sandbox is the boundary), its model reached only through the gateway with the job's token.
/// Everything a CLI is given is listed here and in docs/coding-agent.md; nothing else of the service's passes.
/// </summary>
internal static class CliInvocation
{
    public const string CodexProvider = "agentfactory";

    /// <param name="environment">The run's environment (no credential of the service); the CLI's variables are added to a copy.</param>
    /// <param name="turnsLeft">For Claude Code's --max-turns: the job's turn budget still unspent; null for none.</param>
    public static ProcessSpec Build(CliSettings settings, GatewayGrant? grant, string prompt, string worktree, IReadOnlyDictionary<string, string> environment, int? turnsLeft)
    {
        var env = new Dictionary<string, string>(environment, StringComparer.Ordinal);
        env.TryAdd("HOME", "/tmp");
        env.TryAdd("TMPDIR", "/tmp");
        if (grant is not null) AddModel(env, grant);
        var program = settings.Cli == CliKind.Command ? "/bin/sh" : settings.Executable ?? CliSettings.Programs[settings.Cli];
        var stdin = Encoding.UTF8.GetBytes(prompt);
        var model = grant?.Model.ModelId;
        List<string> args;
        switch (settings.Cli)
        {
            case CliKind.Claude:
                // The prompt comes on stdin: an untrusted task text in argv could read as an option.
                args = ["-p", "--output-format", "stream-json", "--verbose", "--model", model!,
                    // bwrap is the sandbox: Claude Code asks no permission inside it. IS_SANDBOX lets it run so as root.
                    "--permission-mode", "bypassPermissions",
                    // Only MCP servers given here (none): a repository's .mcp.json starts nothing.
                    "--strict-mcp-config"];
                if (turnsLeft is { } turns) args.AddRange(["--max-turns", turns.ToString(CultureInfo.InvariantCulture)]);
                env["IS_SANDBOX"] = "1";
                env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
                env["DISABLE_AUTOUPDATER"] = "1";
                env["DISABLE_TELEMETRY"] = "1";
                env["DISABLE_ERROR_REPORTING"] = "1";
                if (model is not null)
                    foreach (var name in (string[])["ANTHROPIC_MODEL", "ANTHROPIC_SMALL_FAST_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL", "CLAUDE_CODE_SUBAGENT_MODEL"])
                        env[name] = model;
                if (grant?.Model.MaxOutputTokens is { } max) env["CLAUDE_CODE_MAX_OUTPUT_TOKENS"] = max.ToString(CultureInfo.InvariantCulture);
                break;
            case CliKind.Codex:
                // A provider of its own pointing at the gateway: the built-in "openai" one would go to api.openai.com.
                args = ["exec", "--json", "--dangerously-bypass-approvals-and-sandbox", "--ephemeral", "--skip-git-repo-check", "--color", "never",
                    "-m", model!,
                    "-c", $"model_provider={CodexProvider}",
                    "-c", $"model_providers.{CodexProvider}.name=\"Agent Factory model gateway\"",
                    "-c", $"model_providers.{CodexProvider}.base_url=\"{grant!.BaseUrl.AbsoluteUri.TrimEnd('/')}\"",
                    "-c", $"model_providers.{CodexProvider}.env_key=\"OPENAI_API_KEY\"",
                    "-c", $"model_providers.{CodexProvider}.wire_api=\"responses\"",
                    "-c", "check_for_update_on_startup=false",
                    "-"];
                break;
            case CliKind.Aider:
                args = [$"--message={prompt}", "--yes-always", "--no-auto-commits", "--no-dirty-commits", "--no-pretty", "--no-stream",
                    "--no-check-update", "--no-show-model-warnings", "--no-analytics",
                    "--chat-history-file=/tmp/.aider.chat.history.md", "--input-history-file=/tmp/.aider.input.history"];
                if (grant is not null) args.Add($"--model={(grant.Model.Provider == ModelProvider.Anthropic ? "anthropic" : "openai")}/{model}");
                stdin = [];
                break;
            default:
                args = ["-c", settings.Command!];
                break;
        }
        return new ProcessSpec(program, args, env, worktree, stdin, MaxOutputBytes: 64 * 1024);
    }

    /// <summary>
    /// The gateway's URL and the job's token under the names each provider's tools read. The token is the
    /// only credential in the sandbox, and it is worthless once the run ends.
    /// </summary>
    private static void AddModel(Dictionary<string, string> env, GatewayGrant grant)
    {
        var url = grant.BaseUrl.AbsoluteUri.TrimEnd('/');
        env["AGENTFACTORY_MODEL_BASE_URL"] = url;
        env["AGENTFACTORY_MODEL_TOKEN"] = grant.Token;
        env["AGENTFACTORY_MODEL"] = grant.Model.ModelId;
        env["AGENTFACTORY_MODEL_PROVIDER"] = grant.Model.Provider == ModelProvider.Anthropic ? "anthropic" : "openai";
        if (grant.Model.Provider == ModelProvider.Anthropic)
        {
            env["ANTHROPIC_BASE_URL"] = url;
            env["ANTHROPIC_API_BASE"] = url; // aider (litellm)
            env["ANTHROPIC_API_KEY"] = grant.Token;
        }
        else
        {
            env["OPENAI_BASE_URL"] = url;
            env["OPENAI_API_BASE"] = url; // aider (litellm)
            env["OPENAI_API_KEY"] = grant.Token;
        }
    }

    /// <summary>What the CLI is asked: the task as the coder agent fenced it, and what the service does itself.</summary>
    public static string Prompt(CodingTask task, bool resumed)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"You are working in a git checkout of {task.Repository} (branch {task.Branch}), which is your current directory. ");
        text.Append("Make the change the task below asks for by editing the files here, and run the repository's tests if you can. ");
        text.Append("Do not commit, push or open a pull request: the service commits what you leave in the working tree and opens the pull request itself. ");
        text.Append("When you are done, end with a short summary of what you changed and how you tested it: it becomes the pull request's description.\n");
        if (task.FollowUp) text.Append("This continues an existing pull request: its earlier commits are already in the checkout.\n");
        if (resumed) text.Append("An earlier attempt at this job was interrupted; the working tree holds its work so far: continue from there rather than starting over.\n");
        text.Append('\n').Append(task.Instructions);
        return text.ToString();
    }
}
