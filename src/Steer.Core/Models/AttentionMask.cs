using static TorchSharp.torch;

namespace Steer.Models;

/// <summary>
/// Which keys each query may attend to. Unpadded prompt passes use the fused causal path; an unpadded
/// one-position decoding step needs no mask; everything else gets an explicit boolean mask.
/// </summary>
/// <param name="Mask">[batch, 1, pos, past+pos], true where attention is allowed; or null.</param>
/// <param name="IsCausal">Let the kernel apply the causal mask itself.</param>
internal sealed record AttentionMask(Tensor? Mask, bool IsCausal)
{
    /// <param name="window">
    /// A sliding window: query i sees key j only if i − j &lt; window (the window holds <paramref name="window"/> keys,
    /// the query's own included), as Hugging Face's Mistral and Qwen2 do; null for full causal attention.
    /// </param>
    public static AttentionMask Build(long positions, long past, int[] padLengths, Device device, int? window = null)
    {
        var padded = padLengths.Any(p => p > 0);
        var total = past + positions;
        // The window only hides keys once some query is at least a window away from the first key.
        var windowed = window is { } w && total > w;
        if (!padded && !windowed && past == 0) return new AttentionMask(null, positions > 1);
        if (!padded && !windowed && positions == 1) return new AttentionMask(null, false);

        var queryPos = arange(past, total, dtype: ScalarType.Int64, device: device).view(1, positions, 1); // [1, pos, 1]
        var keyPos = arange(0, total, dtype: ScalarType.Int64, device: device).view(1, 1, total);          // [1, 1, past+pos]
        var pads = tensor(padLengths.Select(p => (long)p).ToArray(), device: device).view(-1, 1, 1);       // [batch, 1, 1]
        var causal = keyPos <= queryPos;
        if (windowed) causal &= (queryPos - keyPos) < window!.Value;
        var realKey = keyPos >= pads;
        // A padding query has no real key to attend to; letting it see itself avoids NaNs in rows nobody reads.
        var self = keyPos == queryPos;
        var mask = (causal & realKey) | self;                                                            // [batch, pos, past+pos]
        return new AttentionMask(mask.unsqueeze(1), false);
    }

    /// <summary>
    /// The same rule as an explicit mask, for attention computed step by step: [batch or 1, 1, pos, keys], true
    /// where allowed; null when every key is allowed (an unpadded decoding step).
    /// </summary>
    public Tensor? Allowed(long positions, long keys, Device device) =>
        Mask ?? (IsCausal ? ones([positions, keys], ScalarType.Bool, device).tril(keys - positions).view(1, 1, positions, keys) : null);
}
