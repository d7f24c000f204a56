using static TorchSharp.torch;

namespace Steer.Hooks;

/// <summary>
/// Activations recorded by a forward pass, by hook name. The cache owns its tensors (they live outside any
/// dispose scope) and frees them when disposed.
/// </summary>
public sealed class ActivationCache : IDisposable
{
    private readonly Dictionary<string, Tensor> _activations = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _activations.Keys;

    /// <summary>The activation recorded at <paramref name="name"/>, e.g. <c>[batch, pos, d_model]</c>.</summary>
    public Tensor this[string name] =>
        _activations.TryGetValue(name, out var tensor) ? tensor
            : throw new SteerException(ErrorKind.InvalidArgument, $"the cache holds no activation named '{name}'");

    public bool Contains(string name) => _activations.ContainsKey(name);

    internal void Record(string name, Tensor activation)
    {
        var copy = activation.detach().clone().DetachFromDisposeScope();
        if (_activations.Remove(name, out var previous)) previous.Dispose();
        _activations[name] = copy;
    }

    public void Dispose()
    {
        foreach (var tensor in _activations.Values) tensor.Dispose();
        _activations.Clear();
    }
}
