using Steer.Models.Gpt2;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>Weights computed by <see cref="FormulaWeights"/> on demand, for tests, benchmarks and demos.</summary>
/// <param name="storedAs">When set, values are rounded to this dtype first, as a file of that dtype would hold them.</param>
internal sealed class FormulaWeightSource(ulong seed, Gpt2Config config, ScalarType? storedAs = null) : IWeightSource
{
    private readonly Dictionary<string, long[]> _shapes = Gpt2Layout.Shapes(config);

    public IReadOnlyList<string> Names => [.. _shapes.Keys];

    public IReadOnlyList<long> ShapeOf(string name) => _shapes[name];

    public void ReadInto(string name, Tensor destination)
    {
        if (storedAs is null && destination.dtype == ScalarType.Float32 && destination.is_contiguous())
        {
            FormulaWeights.FillTensor(seed, name, config.ModelDim, destination);
            return;
        }
        using var values = FormulaWeights.Create(seed, name, _shapes[name], config.ModelDim);
        using var stored = storedAs is { } dtype ? values.to(dtype) : values.alias();
        destination.copy_(stored);
    }

    public void Dispose() { }
}
