using static TorchSharp.torch;

namespace Steer.Hooks;

/// <summary>
/// The hooks attached to one model, by hook point. A forward pass asks <see cref="Has"/> before building
/// any context, so a model without hooks pays one array read per hook point.
/// </summary>
public sealed class HookRegistry
{
    private readonly Dictionary<string, int> _indexOf;
    private readonly List<HookFunction>[] _hooks;
    private readonly string[] _names;
    private int _count;

    internal HookRegistry(IReadOnlyList<string> names)
    {
        _names = [.. names];
        _indexOf = names.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        _hooks = names.Select(_ => new List<HookFunction>()).ToArray();
    }

    /// <summary>Every hook point, in forward order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>True when at least one hook is attached anywhere.</summary>
    public bool Any => _count > 0;

    /// <summary>The index of a hook point; throws a clear error for an unknown name.</summary>
    public int IndexOf(string name) =>
        _indexOf.TryGetValue(name, out var index) ? index
            : throw new SteerException(ErrorKind.InvalidArgument,
                $"unknown hook point '{name}'. Valid names are hook_embed, hook_pos_embed, " +
                $"blocks.{{0..{(_names.Length - 3) / HookNames.BlockSuffixes.Length - 1}}}.{{{string.Join(",", HookNames.BlockSuffixes)}}} and {HookNames.LnFinalNormalized}.");

    /// <summary>Attaches a hook until the returned handle is disposed.</summary>
    public IDisposable Add(string name, HookFunction hook)
    {
        var list = _hooks[IndexOf(name)];
        list.Add(hook);
        _count++;
        return new Handle(this, list, hook);
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
        foreach (var list in _hooks) list.Clear();
        _count = 0;
    }

    internal bool Has(int index) => _count > 0 && _hooks[index].Count > 0;

    /// <summary>Runs the hooks of one point in the order they were added.</summary>
    internal Tensor Run(int index, Tensor activation, HookContextFactory contextFactory)
    {
        var context = contextFactory.Create(_names[index]);
        foreach (var hook in _hooks[index].ToArray())
            activation = hook(activation, context) ?? activation;
        return activation;
    }

    private sealed class Handle(HookRegistry owner, List<HookFunction> list, HookFunction hook) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            if (list.Remove(hook)) owner._count--;
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

/// <summary>Builds the <see cref="HookContext"/> of one forward pass lazily, only when a hook fires.</summary>
internal sealed class HookContextFactory(long pastLength, IReadOnlyList<int> padLengths, bool isDecodingStep)
{
    public HookContext Create(string name) =>
        new(name, HookNames.LayerOf(name), pastLength, padLengths) { IsDecodingStep = isDecodingStep };
}
