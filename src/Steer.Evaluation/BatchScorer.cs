using Steer.Hooks;
using Steer.Steering;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Evaluation;

/// <summary>
/// Scores many sequences in left-padded batches: sequences are sorted by length (so a batch wastes few padded
/// positions) and grouped so that no batch exceeds <see cref="TokenBudget"/> padded positions, which bounds the
/// memory of the <c>[batch, pos, vocab]</c> logits. The grouping depends only on the lengths, so scoring the
/// same sequences with and without a zero vector runs identical batches and gives bit-identical log-probs.
/// </summary>
public sealed class BatchScorer(LanguageModel model, int tokenBudget = BatchScorer.DefaultTokenBudget)
{
    /// <summary>About 200 MB of float32 logits for GPT-2's vocabulary, and still large enough for fast matrix products.</summary>
    public const int DefaultTokenBudget = 1024;

    public int TokenBudget { get; } = tokenBudget > 0 ? tokenBudget
        : throw new SteerException(ErrorKind.InvalidArgument, $"the token budget must be positive, got {tokenBudget}");

    internal LanguageModel Model => model;

    /// <summary>
    /// For each sequence, entry t is log p(ids[t+1] | ids[..t]). With a vector, every row is steered at its own
    /// front positions (the injector reads the batch's pad lengths); a sequence shorter than the vector
    /// receives only the positions that fit.
    /// </summary>
    public double[][] TokenLogprobs(IReadOnlyList<IReadOnlyList<int>> sequences, SteeringVector? steering = null, SteeringOptions? options = null)
    {
        using var plan = new ScoringPlan(this, sequences, residualBytes: 0);
        return plan.Score(steering, options);
    }

    /// <summary>Indices of the sequences in each batch: sorted by length, longest first, each within the budget.</summary>
    internal IEnumerable<List<int>> Batches(IReadOnlyList<IReadOnlyList<int>> sequences)
    {
        if (sequences.Any(s => s.Count < 2))
            throw new SteerException(ErrorKind.InvalidArgument, "scoring needs at least two tokens per sequence (the first one is only context)");
        var order = Enumerable.Range(0, sequences.Count).OrderByDescending(i => sequences[i].Count).ThenBy(i => i).ToList();
        var batch = new List<int>();
        var width = 0;
        foreach (var index in order)
        {
            // Longest first: the first row of a batch sets its width, so rows × width is its padded size.
            if (batch.Count > 0 && (batch.Count + 1) * width > TokenBudget)
            {
                yield return batch;
                batch = [];
            }
            if (batch.Count == 0) width = sequences[index].Count;
            batch.Add(index);
        }
        if (batch.Count > 0) yield return batch;
    }

    /// <param name="hooks">Attached for this batch only (the steering, or recorders).</param>
    /// <param name="start">Run from this block's cached input instead of from the embeddings.</param>
    internal double[][] ScoreBatch(List<IReadOnlyList<int>> rows, IEnumerable<(string Name, HookFunction Hook)>? hooks,
        (int Layer, Tensor ResidPre)? start = null)
    {
        using var scope = NewDisposeScope();
        using var attached = model.Hooks.AddRange(hooks ?? []);
        using var batch = start is { } from ? model.LogitsFrom(rows, from.Layer, from.ResidPre) : model.Logits(rows);
        var logits = batch.Values;                                                       // [batch, pos, vocab]
        var pads = batch.PadLengths;
        var width = logits.shape[1];
        // The target of position p is the token at p + 1; the last position predicts nothing here.
        var targets = new long[rows.Count * (width - 1)];
        for (var b = 0; b < rows.Count; b++)
            for (var t = 0; t < rows[b].Count - 1; t++)
                targets[b * (width - 1) + pads[b] + t] = rows[b][t + 1];
        var predicting = logits.narrow(1, 0, width - 1);                                 // [batch, pos-1, vocab]
        var target = tensor(targets, [rows.Count, width - 1, 1], ScalarType.Int64, logits.device);
        // log p = logit − logsumexp(logits): no [batch, pos, vocab] log-softmax copy is made.
        var logprobs = (predicting.gather(2, target).squeeze(2) - predicting.logsumexp(2))   // [batch, pos-1]
            .to(ScalarType.Float64).cpu();
        var values = logprobs.data<double>().ToArray();
        return rows.Select((row, b) => values.AsSpan(b * (int)(width - 1) + pads[b], row.Count - 1).ToArray()).ToArray();
    }
}
