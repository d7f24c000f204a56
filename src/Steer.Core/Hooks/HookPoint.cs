using static TorchSharp.torch;

namespace Steer.Hooks;

/// <summary>
/// One hook point of a model. Modules resolve their points by name once, when the model is built, and call
/// <see cref="Apply"/> on every pass; with nothing attached that is one array-length check.
/// </summary>
internal sealed class HookPoint
{
    // Replaced, never mutated, so a firing iterates a snapshot: a hook that adds or removes hooks changes the
    // next firing, not this one.
    private HookFunction[] _hooks = [];

    internal HookPoint(string name, int index)
    {
        Name = name;
        Index = index;
        Layer = HookNames.LayerOf(name);
    }

    /// <summary>The canonical name (never an alias).</summary>
    public string Name { get; }

    /// <summary>Position in the forward order of the model's hook points.</summary>
    public int Index { get; }

    /// <summary>The block, or null for the embedding and final hooks.</summary>
    public int? Layer { get; }

    public bool IsActive => _hooks.Length != 0;

    /// <summary>Runs the attached hooks in the order they were added; returns the activation the model goes on with.</summary>
    public Tensor Apply(Tensor activation, HookContextFactory context) => IsActive ? Run(activation, context) : activation;

    private Tensor Run(Tensor activation, HookContextFactory context)
    {
        var hooks = _hooks;
        var hookContext = context.Create(this);
        foreach (var hook in hooks) activation = hook(activation, hookContext) ?? activation;
        return activation;
    }

    internal void Attach(HookFunction hook) => _hooks = [.. _hooks, hook];

    internal bool Detach(HookFunction hook)
    {
        var index = Array.IndexOf(_hooks, hook);
        if (index < 0) return false;
        _hooks = [.. _hooks.AsSpan(0, index), .. _hooks.AsSpan(index + 1)];
        return true;
    }

    internal void DetachAll() => _hooks = [];
}

/// <summary>Builds the <see cref="HookContext"/> of one forward pass lazily, only when a hook fires.</summary>
internal sealed class HookContextFactory(long pastLength, IReadOnlyList<int> padLengths, bool isDecodingStep, Tensor? tokens = null)
{
    public HookContext Create(HookPoint point) =>
        new(point.Name, point.Layer, pastLength, padLengths) { IsDecodingStep = isDecodingStep, Tokens = tokens };
}
