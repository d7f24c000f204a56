using Steer.Runtime;
using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>
/// The residual stream of one forward pass as it goes through the blocks. Each block runs in its own dispose scope, so
/// a pass holds one block's activations at a time instead of all of them (1.7 GB more for a 256-token gpt2-xl prompt
/// otherwise); the stream a block returns is kept, and the one before it freed if this pass made it.
/// </summary>
internal sealed class ResidualStream(Tensor initial)
{
    private bool _owned;

    /// <summary>[batch, pos, d_model]</summary>
    public Tensor Current { get; private set; } = initial;

    /// <param name="block">The block's forward pass from the current stream.</param>
    public void Step(Func<Tensor, Tensor> block)
    {
        using var blockScope = NewDisposeScope();
        var output = block(Current);
        var madeHere = blockScope.Contains(output); // false when a hook handed back a tensor of its own
        if (madeHere) blockScope.MoveToOuter(output);
        if (_owned && !ReferenceEquals(Current, output)) Current.Dispose();
        Current = output;
        _owned = madeHere;
    }

    /// <summary>A block's residual connection: its sublayer's output added to the stream, as a new tensor.</summary>
    /// <param name="residual">[batch, pos, d_model]</param>
    /// <param name="output">[batch, pos, d_model]</param>
    public static Tensor Add(Tensor residual, Tensor output)
    {
        using var profiled = OperationProfiler.Time(ProfiledOperation.ResidualAdds);
        return residual + output;
    }

    /// <summary>
    /// Absolute positions of a pass's tokens: a left-padded row's first real token is at position 0, as in Hugging Face's
    /// generate (padding positions are clamped to 0; they are masked).
    /// </summary>
    /// <returns>[1 or batch, pos] int64</returns>
    public static Tensor PositionIds(long positions, long past, int[] padLengths, Device device)
    {
        var steps = arange(past, past + positions, dtype: ScalarType.Int64, device: device).unsqueeze(0); // [1, pos]
        if (padLengths.All(p => p == 0)) return steps;
        var pads = tensor(padLengths.Select(p => (long)p).ToArray(), device: device).unsqueeze(1);        // [batch, 1]
        return (steps - pads).clamp_min(0);
    }
}
