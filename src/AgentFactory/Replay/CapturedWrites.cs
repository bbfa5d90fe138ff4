namespace AgentFactory.Replay;

/// <summary>One GitHub write a replayed agent made, as it would have been sent: method, API path (with query) and body.</summary>
/// <param name="Path">Relative to the API base, e.g. "/repos/octo/app/pulls/2/reviews"; "/graphql" for a GraphQL mutation.</param>
public sealed record CapturedWrite(string Method, string Path, string? Body);

/// <summary>
/// The writes captured by <see cref="WriteCapturingHandler"/> since the last <see cref="Take"/>. Replay runs one
/// job at a time and takes the writes after each, so every write belongs to the job that made it.
/// </summary>
public sealed class CapturedWrites
{
    private readonly List<CapturedWrite> _writes = [];

    public void Add(CapturedWrite write)
    {
        lock (_writes) _writes.Add(write);
    }

    /// <summary>How many writes were captured and not yet taken.</summary>
    public int Count
    {
        get { lock (_writes) return _writes.Count; }
    }

    /// <summary>The writes captured so far, in order; the list is emptied.</summary>
    public IReadOnlyList<CapturedWrite> Take()
    {
        lock (_writes)
        {
            var taken = _writes.ToList();
            _writes.Clear();
            return taken;
        }
    }
}
