namespace Steer.Hooks;

/// <summary>
/// The hooks attached to one model, by hook point. The architecture supplies its points (canonical names in
/// forward order, plus aliases); its modules hold the <see cref="HookPoint"/> objects, so a pass never looks a
/// name up.
/// </summary>
public sealed class HookRegistry
{
    private readonly HookPoint[] _points;
    private readonly Dictionary<string, HookPoint> _byName; // canonical names and aliases
    private readonly string[] _names;
    private readonly IReadOnlyDictionary<string, string> _aliases;
    private string? _validNames;
    private int _count;

    /// <param name="names">Canonical names, in the order a forward pass reaches them.</param>
    /// <param name="aliases">Other names for some of them: alias → canonical name.</param>
    internal HookRegistry(IReadOnlyList<string> names, IReadOnlyDictionary<string, string>? aliases = null)
    {
        _names = [.. names];
        _points = names.Select((name, i) => new HookPoint(name, i)).ToArray();
        _byName = _points.ToDictionary(p => p.Name, StringComparer.Ordinal);
        _aliases = aliases ?? new Dictionary<string, string>();
        foreach (var (alias, canonical) in _aliases)
            _byName.Add(alias, _byName.TryGetValue(canonical, out var point) ? point
                : throw new ArgumentException($"alias '{alias}' names '{canonical}', which is not a hook point", nameof(aliases)));
    }

    /// <summary>Every hook point's canonical name, in forward order. Aliases are accepted wherever a name is.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>True when at least one hook is attached anywhere.</summary>
    public bool Any => _count > 0;

    /// <summary>The canonical name of a hook point or alias; throws a clear error for an unknown name.</summary>
    public string Resolve(string name) => Point(name).Name;

    /// <summary>The hook point of a name or alias; throws a clear error for an unknown name.</summary>
    internal HookPoint Point(string name) =>
        _byName.TryGetValue(name, out var point) ? point
            : throw new SteerException(ErrorKind.InvalidArgument, $"unknown hook point '{name}'. Valid names are {ValidNames}.");

    internal bool TryResolve(string name, out string canonical)
    {
        canonical = _byName.TryGetValue(name, out var point) ? point.Name : name;
        return point is not null;
    }

    /// <summary>Attaches a hook until the returned handle is disposed.</summary>
    public IDisposable Add(string name, HookFunction hook)
    {
        var point = Point(name);
        point.Attach(hook);
        _count++;
        return new Handle(this, point, hook);
    }

    /// <summary>Attaches several hooks; disposing the handle removes them all.</summary>
    public IDisposable AddRange(IEnumerable<(string Name, HookFunction Hook)> hooks)
    {
        var handles = new List<IDisposable>();
        try
        {
            foreach (var (name, hook) in hooks) handles.Add(Add(name, hook));
        }
        catch
        {
            foreach (var handle in handles) handle.Dispose();
            throw;
        }
        return new Group(handles);
    }

    /// <summary>Removes every hook.</summary>
    public void Clear()
    {
        foreach (var point in _points) point.DetachAll();
        _count = 0;
    }

    // Built on first use: only an error needs it.
    private string ValidNames => _validNames ??= HookNameSummary.Describe(_names, _aliases);

    private sealed class Handle(HookRegistry owner, HookPoint point, HookFunction hook) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            if (point.Detach(hook)) owner._count--;
        }
    }

    private sealed class Group(List<IDisposable> handles) : IDisposable
    {
        public void Dispose()
        {
            foreach (var handle in handles) handle.Dispose();
        }
    }
}
