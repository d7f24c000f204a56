namespace Steer.Server.Scheduling;

/// <summary>Something for the inference worker to do; cancelled when its client goes away or its time is up.</summary>
internal abstract class WorkItem(CancellationToken cancellation)
{
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Ends the item unanswered (its client is gone or it timed out).</summary>
    public abstract void Cancel();

    /// <summary>Ends the item with an error for its client.</summary>
    public abstract void Fail(Exception error);
}

/// <summary>
/// The requests waiting for the worker, oldest first, bounded: a full queue refuses more (the endpoint answers
/// 429). Only the worker takes items out, except that a cancelled item leaves at once so that it frees its place.
/// </summary>
internal sealed class WorkQueue(int capacity)
{
    private readonly LinkedList<WorkItem> _items = new();
    private readonly object _lock = new();

    public int Count
    {
        get
        {
            lock (_lock) return _items.Count;
        }
    }

    public bool TryEnqueue(WorkItem item)
    {
        lock (_lock)
        {
            if (_items.Count >= capacity) return false;
            _items.AddLast(item);
            Monitor.PulseAll(_lock);
        }
        item.Cancellation.Register(() =>
        {
            if (Remove(item)) item.Cancel();
        });
        return true;
    }

    public bool Remove(WorkItem item)
    {
        lock (_lock) return _items.Remove(item);
    }

    public IReadOnlyList<WorkItem> Snapshot()
    {
        lock (_lock) return [.. _items];
    }

    /// <summary>Blocks until something is queued; false when <paramref name="stop"/> was cancelled first.</summary>
    public bool WaitForWork(CancellationToken stop)
    {
        lock (_lock)
        {
            while (_items.Count == 0)
            {
                if (stop.IsCancellationRequested) return false;
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(200));
            }
            return !stop.IsCancellationRequested;
        }
    }

    /// <summary>Takes everything out (at shutdown).</summary>
    public IReadOnlyList<WorkItem> Drain()
    {
        lock (_lock)
        {
            var all = _items.ToList();
            _items.Clear();
            Monitor.PulseAll(_lock);
            return all;
        }
    }
}
