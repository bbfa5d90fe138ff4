using AgentFactory.Jobs;
using AgentFactory.Observability;
using AgentFactory.Queue;

namespace AgentFactory.Agents.Coding;

/// <summary>
/// Appends a run's steps to the job's transcript in the queue database, fenced on the attempt's lease (a
/// worker that lost the job writes nothing), with every secret the service knows removed and long texts cut
/// before they are stored.
/// </summary>
public sealed class StoreStepRecorder(IStepStore store, JobLease lease, SecretRedactor redactor) : IStepRecorder
{
    public const int MaxInput = 4_000;
    public const int MaxOutput = 16_000;

    /// <summary>Steps stored by this recorder (for the job's output line).</summary>
    public int Recorded { get; private set; }

    public async Task RecordAsync(NewJobStep step, CancellationToken ct)
    {
        var clean = step with
        {
            Name = Cut(redactor.Redact(step.Name), 200),
            Input = step.Input is null ? null : Cut(redactor.Redact(step.Input), MaxInput),
            Output = step.Output is null ? null : Cut(redactor.Redact(step.Output), MaxOutput),
        };
        if (await store.AppendStepAsync(lease, clean, ct) is not null) Recorded++;
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), $"… [{text.Length - max} more characters]");
}
