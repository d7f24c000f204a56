using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>
/// <c>--dtype int8</c> while a model loads: each linear layer's weight becomes Q8_0 blocks as soon as it is filled,
/// and its float32 storage is freed, so loading peaks near one float32 matrix above the int8 model, not at the
/// float32 model. The unembedding keeps its float32 values (the embedding lookup and the logit lens read them) and
/// gains a Q8_0 copy for the logits.
/// </summary>
internal sealed class Int8Quantizer
{
    private readonly Dictionary<string, Linear> _linears;

    public Int8Quantizer(ITransformer model)
    {
        var unembedding = model.Unembedding;
        _linears = ((nn.Module)model).named_modules()
            .Where(m => m.module is Linear linear && !ReferenceEquals(linear.Weight, unembedding))
            .ToDictionary(m => m.name + ".weight", m => (Linear)m.module, StringComparer.Ordinal);
    }

    /// <summary>For <see cref="WeightLoader.Load"/>: quantizes the layer whose weight <paramref name="name"/> has just been filled.</summary>
    public void Loaded(string name)
    {
        if (_linears.TryGetValue(name, out var linear)) linear.Quantize();
    }
}
