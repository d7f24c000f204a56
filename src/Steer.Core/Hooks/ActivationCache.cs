using static TorchSharp.torch;

namespace Steer.Hooks;

/// <summary>
/// Activations recorded by a forward pass, by hook name. The cache owns its tensors (they live outside any
/// dispose scope) and frees them when disposed.
/// </summary>
public sealed class ActivationCache : IDisposable
{
    private readonly Dictionary<string, Tensor> _activations = new(StringComparer.Ordinal); // by canonical name
    private readonly HookRegistry? _names;

    /// <param name="names">Resolves aliases, so an activation is found under any name of its hook point.</param>
    internal ActivationCache(HookRegistry? names = null) => _names = names;

    /// <summary>The canonical names of the recorded hook points.</summary>
    public IReadOnlyCollection<string> Names => _activations.Keys;

    /// <summary>The activation recorded at <paramref name="name"/> (or an alias of it), e.g. <c>[batch, pos, d_model]</c>.</summary>
    public Tensor this[string name] =>
        _activations.TryGetValue(Canonical(name), out var tensor) ? tensor
            : throw new SteerException(ErrorKind.InvalidArgument, $"the cache holds no activation named '{name}'");

    public bool Contains(string name) => _activations.ContainsKey(Canonical(name));

    internal void Record(string name, Tensor activation)
    {
        var copy = activation.detach().clone().DetachFromDisposeScope();
        name = Canonical(name);
        if (_activations.Remove(name, out var previous)) previous.Dispose();
        _activations[name] = copy;
    }

    private string Canonical(string name) => _names is not null && _names.TryResolve(name, out var canonical) ? canonical : name;

    public void Dispose()
    {
        foreach (var tensor in _activations.Values) tensor.Dispose();
        _activations.Clear();
    }
}
