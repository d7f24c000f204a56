using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>
/// Weights computed by <see cref="FormulaWeights"/> on demand, for tests, benchmarks and demos: the tensors of an
/// architecture's layout, each drawn from the architecture's distribution for its name.
/// </summary>
/// <param name="storedAs">When set, values are rounded to this dtype first, as a file of that dtype would hold them.</param>
internal sealed class FormulaWeightSource(IArchitecture architecture, IModelConfig config, ulong seed, ScalarType? storedAs = null) : IWeightSource
{
    private readonly IReadOnlyDictionary<string, long[]> _shapes = architecture.Layout(config);

    public IReadOnlyList<string> Names => [.. _shapes.Keys];

    public IReadOnlyList<long> ShapeOf(string name) => _shapes[name];

    public void ReadInto(string name, Tensor destination)
    {
        var distribution = architecture.FormulaDistribution(config, name);
        if (storedAs is null && destination.dtype == ScalarType.Float32 && destination.is_contiguous())
        {
            FormulaWeights.FillTensor(seed, name, distribution, destination);
            return;
        }
        using var values = FormulaWeights.Create(seed, name, _shapes[name], distribution);
        using var stored = storedAs is { } dtype ? values.to(dtype) : values.alias();
        destination.copy_(stored);
    }

    public void Dispose() { }
}
