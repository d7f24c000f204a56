using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>One forward pass's token ids and batch layout.</summary>
/// <param name="Ids">[batch, pos] int64 token ids; rows shorter than the longest are left-padded.</param>
/// <param name="PadLengths">Left padding of each row, in positions (all zero for an unpadded batch).</param>
/// <param name="Cache">Where past keys and values are read and this pass's are stored; null for a one-off pass.</param>
/// <param name="LastPositionOnly">Compute logits for the last position only (what sampling needs).</param>
internal sealed record ForwardInput(Tensor Ids, int[] PadLengths, KvCache? Cache = null, bool LastPositionOnly = false)
{
    public bool IsPadded => PadLengths.Any(p => p > 0);
}
