using System.Text.Json.Nodes;

namespace AgentFactory.Tests.Support.Fakes;

/// <summary>The orchestrator's tracking comments (one per job, marked "&lt;!-- agentfactory:job N --&gt;") apart from what agents wrote.</summary>
public sealed partial class FakeGitHub
{
    private const string TrackingMarker = "<!-- agentfactory:job ";

    /// <summary>The issue's comments without the tracking comments: what the agents themselves posted.</summary>
    public IReadOnlyList<JsonObject> AgentComments(int issue) =>
        [.. IssueComments(issue).Where(c => c["body"]?.GetValue<string>()?.StartsWith(TrackingMarker, StringComparison.Ordinal) != true)];

    /// <summary>The tracking comments on the issue for <paramref name="jobId"/>.</summary>
    public IReadOnlyList<JsonObject> TrackingComments(int issue, long jobId) =>
        [.. IssueComments(issue).Where(c => c["body"]?.GetValue<string>()?.StartsWith($"{TrackingMarker}{jobId} -->", StringComparison.Ordinal) == true)];
}
