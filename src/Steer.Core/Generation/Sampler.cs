using Steer.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Generation;

/// <summary>Turns next-token logits into token ids (see <see cref="SamplingOptions"/> for the order of operations).</summary>
public static class Sampler
{
    /// <summary>
    /// The logits a draw is made from: divided by the temperature, penalised, and with tokens outside
    /// top-k or top-p set to −∞.
    /// </summary>
    /// <param name="logits">[batch, vocab] float32</param>
    /// <param name="counts">[batch, vocab] float32, occurrences of each token in each row's sequence so far</param>
    public static Tensor ProcessLogits(Tensor logits, Tensor counts, SamplingOptions options)
    {
        var x = options.Temperature == 1.0 ? logits : logits / options.Temperature;
        if (options.FrequencyPenalty != 0) x = x - options.FrequencyPenalty * counts;
        if (options.PresencePenalty != 0) x = x - options.PresencePenalty * (counts > 0).to(x.dtype);
        if (options.TopK is { } k)
        {
            if (k < x.shape[^1])
            {
                var kth = x.topk(k, dim: -1).values.narrow(-1, k - 1, 1); // [batch, 1]
                x = x.masked_fill(x < kth, double.NegativeInfinity);
            }
        }
        else if (options.TopP is { } p && p < 1.0)
        {
            var (sorted, order) = x.sort(dim: -1, descending: true);    // [batch, vocab]
            var cumulative = sorted.softmax(-1).cumsum(-1);
            var beyond = cumulative > p;
            // Shift right by one so that the token that crosses the threshold is kept, and the top token always is.
            var remove = zeros_like(beyond);
            remove.narrow(-1, 1, beyond.shape[^1] - 1).copy_(beyond.narrow(-1, 0, beyond.shape[^1] - 1));
            var removeInVocabOrder = remove.scatter(-1, order, remove);
            x = x.masked_fill(removeInVocabOrder, double.NegativeInfinity);
        }
        return x;
    }

    /// <summary>
    /// Draws one token per row (greedy, lowest id among ties, at temperature 0), row b from <paramref name="generators"/>[b]. A row's draws then depend only
    /// on its own generator, not on which other rows share the batch.
    /// </summary>
    /// <returns>[batch] int64</returns>
    public static Tensor Sample(Tensor logits, Tensor counts, SamplingOptions options, IReadOnlyList<torch.Generator> generators)
    {
        if (options.IsGreedy) return logits.argmax(-1);
        var probs = ProcessLogits(logits, counts, options).softmax(-1);   // [batch, vocab]
        var draws = new long[generators.Count];
        for (var b = 0; b < draws.Length; b++)
            draws[b] = multinomial(probs[b], 1, generator: generators[b]).item<long>();
        return tensor(draws);
    }

    /// <summary>The seed of batch row <paramref name="row"/>'s generator: a splitmix64 step, so nearby seeds do not overlap.</summary>
    public static ulong RowSeed(long seed, int row) => SplitMix64.At((ulong)seed, (ulong)(row + 1));
}
