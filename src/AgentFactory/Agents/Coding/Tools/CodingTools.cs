namespace AgentFactory.Agents.Coding.Tools;

/// <summary>
/// The coding agent's toolset, in the order the model is shown it. Tools hold no state (a run's
/// state is its <see cref="ToolContext"/>), so one set serves every run.
/// </summary>
public static class CodingTools
{
    public static IReadOnlyList<ICodingTool> All { get; } =
    [
        new RunShellTool(),
        new ViewFileTool(),
        new SearchTool(),
        new StrReplaceTool(),
        new CreateFileTool(),
        new RunTestsTool(),
        new FinishTool(),
    ];

    /// <summary>The tool of that name (exact match), or null.</summary>
    public static ICodingTool? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));
}
