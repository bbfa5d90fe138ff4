using System.Text.Json;
using AgentFactory.Models;

namespace AgentFactory.Agents.Coding.Cli;

/// <summary>Which coding CLI a <c>runtime: "cli"</c> coder runs.</summary>
public enum CliKind
{
    /// <summary>Anthropic's Claude Code: <c>claude -p --output-format stream-json</c>, an Anthropic model.</summary>
    Claude,
    /// <summary>OpenAI's Codex CLI: <c>codex exec --json</c>, an OpenAI-compatible model (Responses API).</summary>
    Codex,
    /// <summary>aider: <c>aider --message … --yes-always</c>, either provider.</summary>
    Aider,
    /// <summary>Any command line (run with <c>/bin/sh -c</c>) that reads the task on stdin.</summary>
    Command,
}

/// <summary>
/// The CLI runtime's own settings of a coder agent (docs/coding-agent.md, "Bring your own coding CLI"):
/// <c>cli</c>, <c>command</c> for <c>cli: "command"</c>, and <c>executable</c> where the CLI is not on the
/// service's PATH. The model and the budgets are the coder agent's own settings.
/// </summary>
public sealed record CliSettings
{
    public CliKind Cli { get; init; }

    /// <summary>For <see cref="CliKind.Command"/>: the command line, run with <c>/bin/sh -c</c> in the worktree.</summary>
    public string? Command { get; init; }

    /// <summary>The CLI's program (not for <see cref="CliKind.Command"/>); null: "claude", "codex" or "aider" found on the PATH its processes get.</summary>
    public string? Executable { get; init; }

    /// <summary>The catalog name of the model the CLI calls through the gateway; null: none (a command that needs no model).</summary>
    public string? Model { get; init; }

    /// <summary>Push a work-in-progress commit after this many file edits the CLI reports (Claude Code's and Codex's edit events).</summary>
    public int CheckpointEvery { get; init; } = 3;

    public static readonly IReadOnlyDictionary<CliKind, string> Programs = new Dictionary<CliKind, string>
    {
        [CliKind.Claude] = "claude", [CliKind.Codex] = "codex", [CliKind.Aider] = "aider",
    };

    /// <summary>What installs each CLI, for messages.</summary>
    public static readonly IReadOnlyDictionary<CliKind, string> Installs = new Dictionary<CliKind, string>
    {
        [CliKind.Claude] = "npm install -g @anthropic-ai/claude-code", [CliKind.Codex] = "npm install -g @openai/codex",
        [CliKind.Aider] = "python3 -m pip install aider-chat",
    };

    /// <summary>
    /// Reads <c>cli</c>, <c>command</c> and <c>executable</c> from the agent's object in the routing file and checks
    /// them with the model (<paramref name="model"/>, the coder's <c>model</c> setting) against the catalog.
    /// Throws <see cref="AgentConfigurationException"/> naming the setting.
    /// </summary>
    public static CliSettings Parse(string agent, JsonElement raw, string? model, ModelCatalog catalog, int checkpointEvery = 3)
    {
        string S(string field) => $"agents.{agent}.{field}";
        var cli = Text(raw, "cli", S("cli"))?.Trim().ToLowerInvariant() switch
        {
            "claude" or "claude-code" => CliKind.Claude,
            "codex" => CliKind.Codex,
            "aider" => CliKind.Aider,
            "command" => CliKind.Command,
            var other => throw new AgentConfigurationException(
                $"{S("cli")} must be \"claude\" (Claude Code), \"codex\" (OpenAI's Codex CLI), \"aider\" or \"command\" (your own command, given the task on stdin); got {(other is null ? "nothing" : $"'{other}'")}."),
        };
        var command = Text(raw, "command", S("command"));
        if (cli == CliKind.Command && string.IsNullOrWhiteSpace(command))
            throw new AgentConfigurationException($"{S("command")} is required with \"cli\": \"command\": the command line to run in the worktree, e.g. \"./scripts/agent.sh\"; it gets the task on stdin.");
        if (cli != CliKind.Command && command is not null)
            throw new AgentConfigurationException($"{S("command")} is only for \"cli\": \"command\"; for {cli.ToString().ToLowerInvariant()} set {S("executable")} to the program's path if it is not on the PATH.");
        var executable = Text(raw, "executable", S("executable"));
        if (cli == CliKind.Command && executable is not null)
            throw new AgentConfigurationException($"{S("executable")} is not for \"cli\": \"command\": put the program in {S("command")}.");
        if (executable is not null && (!Path.IsPathFullyQualified(executable) || !File.Exists(executable)))
            throw new AgentConfigurationException($"{S("executable")} must be the absolute path of an installed program (got '{executable}').");

        ModelSpec? spec = null;
        if (model is not null && !catalog.TryGet(model, out spec))
        {
            if (cli != CliKind.Command)
                throw new AgentConfigurationException($"{S("model")} names '{model}', which is not configured: define it under \"models\" in the routing file" +
                    (model == ModelCatalog.DefaultName ? " or set LLM_MODEL" : "") + " (docs/models.md).");
            model = null; // a command may work without a model
        }
        if (cli == CliKind.Claude && spec!.Provider != ModelProvider.Anthropic)
            throw new AgentConfigurationException($"{S("model")} '{model}' is an OpenAI-compatible model, but Claude Code speaks Anthropic's Messages API: name a model with \"provider\": \"anthropic\".");
        if (cli == CliKind.Codex && spec!.Provider != ModelProvider.OpenAI)
            throw new AgentConfigurationException($"{S("model")} '{model}' is an Anthropic model, but the Codex CLI speaks OpenAI's Responses API: name a model with \"provider\": \"openai\".");
        if (checkpointEvery < 1) throw new AgentConfigurationException($"{S("checkpointEvery")} must be at least 1 (got {checkpointEvery}).");
        return new CliSettings { Cli = cli, Command = command, Executable = executable, Model = model, CheckpointEvery = checkpointEvery };
    }

    private static string? Text(JsonElement raw, string name, string setting)
    {
        if (raw.ValueKind != JsonValueKind.Object) return null;
        foreach (var property in raw.EnumerateObject())
        {
            if (!string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) continue;
            return property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Null => null,
                _ => throw new AgentConfigurationException($"{setting} must be a string (got {property.Value.ValueKind.ToString().ToLowerInvariant()})."),
            };
        }
        return null;
    }
}
