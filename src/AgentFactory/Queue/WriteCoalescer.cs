namespace AgentFactory.Queue;

/// <summary>
/// Coalesces concurrent single-item writes into batches: callers that arrive while a batch is being
/// written wait for the next one, which carries all of them in one statement. Each caller gets its
/// own result (or the batch's exception). An idle coalescer costs nothing: the writer task runs only
/// while items are pending. Items with the same key never share a batch, so a batch never holds two
/// writes to one row and each gets a true answer.
/// </summary>
internal sealed class WriteCoalescer<TItem, TResult>(
    Func<TItem, long> keyOf,
    Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> writeBatch,
    int maxBatch = 500)
{
    private readonly Lock _gate = new();
    private readonly List<(TItem Item, TaskCompletionSource<TResult> Done)> _pending = [];
    private bool _writing;

    /// <summary>How many batches have been written (for tests and metrics).</summary>
    public long Batches => Interlocked.Read(ref _batches);
    private long _batches;

    public Task<TResult> WriteAsync(TItem item, CancellationToken ct)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _pending.Add((item, done));
            if (!_writing)
            {
                _writing = true;
                _ = Task.Run(DrainAsync, CancellationToken.None);
            }
        }
        // The write itself goes ahead even if this caller stops waiting: others share the statement.
        return done.Task.WaitAsync(ct);
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<(TItem Item, TaskCompletionSource<TResult> Done)> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _writing = false;
                    return;
                }
                batch = TakeBatch();
            }
            Interlocked.Increment(ref _batches);
            try
            {
                var results = await writeBatch([.. batch.Select(b => b.Item)]);
                for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
            }
            catch (Exception e)
            {
                foreach (var (_, done) in batch) done.TrySetException(e);
            }
        }
    }

    private List<(TItem, TaskCompletionSource<TResult>)> TakeBatch()
    {
        var batch = new List<(TItem, TaskCompletionSource<TResult>)>();
        var keys = new HashSet<long>();
        for (var i = 0; i < _pending.Count && batch.Count < maxBatch;)
        {
            if (keys.Add(keyOf(_pending[i].Item)))
            {
                batch.Add(_pending[i]);
                _pending.RemoveAt(i);
            }
            else
            {
                i++;
            }
        }
        return batch;
    }
}
