using Steer.Hooks;
using Steer.Steering;
using static TorchSharp.torch;

namespace Steer.Evaluation;

/// <summary>
/// One fixed list of sequences, scored many times (the baseline and every vector of a sweep). The batches are
/// formed once. An unsteered pass may keep every block's input (<c>resid_pre</c>) when it fits in
/// <c>residualBytes</c>; a steered pass whose vector starts at block L then runs blocks L.. only, since the
/// blocks before L compute exactly what they compute unsteered. The log-probs are bit-identical to full passes.
/// </summary>
internal sealed class ScoringPlan : IDisposable
{
    private readonly BatchScorer _scorer;
    private readonly List<List<int>> _batches;
    private readonly List<List<IReadOnlyList<int>>> _rows;
    private readonly bool _keepResiduals;
    private Tensor[][]? _residuals;                         // [batch][layer]: [rows, width, d_model], layer 0 unused

    public ScoringPlan(BatchScorer scorer, IReadOnlyList<IReadOnlyList<int>> sequences, long residualBytes)
    {
        _scorer = scorer;
        Count = sequences.Count;
        _batches = scorer.Batches(sequences).ToList();
        _rows = _batches.Select(batch => batch.Select(i => sequences[i]).ToList()).ToList();
        var shape = scorer.Model.Shape;
        var elementSize = scorer.Model.DType == "float32" ? 4L : 2L;
        var bytes = _rows.Sum(rows => (long)rows.Count * rows.Max(r => r.Count)) * shape.ModelDim * (shape.Layers - 1) * elementSize;
        _keepResiduals = shape.Layers > 1 && bytes <= residualBytes;
    }

    public int Count { get; }

    /// <summary>Whether steered passes may start at the vector's first block (an unsteered pass has kept the residuals).</summary>
    public bool HasResiduals => _residuals is not null;

    /// <summary>Entry t of sequence i is log p(ids[t+1] | ids[..t]); with a vector every row is steered at its front.</summary>
    public double[][] Score(SteeringVector? steering = null, SteeringOptions? options = null)
    {
        var results = new double[Count][];
        using var injector = steering is null ? null : new SteeringInjector(_scorer.Model, steering, options ?? new SteeringOptions());
        var first = steering is null || _residuals is null ? 0 : FirstLayer(steering);
        var record = steering is null && _keepResiduals && _residuals is null;
        var residuals = record ? new Tensor[_batches.Count][] : null;
        try
        {
            for (var b = 0; b < _batches.Count; b++)
            {
                double[][] logprobs;
                if (record)
                {
                    var kept = residuals![b] = new Tensor[_scorer.Model.Shape.Layers];
                    logprobs = _scorer.ScoreBatch(_rows[b], Recorders(kept));
                }
                else
                    logprobs = _scorer.ScoreBatch(_rows[b], injector?.Hooks, first > 0 ? (first, _residuals![b][first]) : null);
                for (var i = 0; i < _batches[b].Count; i++) results[_batches[b][i]] = logprobs[i];
            }
        }
        catch
        {
            Free(residuals);
            throw;
        }
        if (record) _residuals = residuals;
        return results;
    }

    /// <summary>The first block the vector touches, or 0 when it also acts on the embeddings.</summary>
    private int FirstLayer(SteeringVector steering) =>
        steering.Components.Select(c => HookNames.LayerOf(c.HookPoint)).Aggregate((int?)int.MaxValue, (a, l) => l is null || a is null ? null : Math.Min(a.Value, l.Value))
            is { } layer && layer < _scorer.Model.Shape.Layers ? layer : 0;

    /// <summary>Hooks that copy each block's input (blocks 1..) out of the pass, leaving it unchanged.</summary>
    private IEnumerable<(string Name, HookFunction Hook)> Recorders(Tensor[] kept) =>
        Enumerable.Range(1, _scorer.Model.Shape.Layers - 1).Select(layer => (HookNames.ResidPre(layer), (HookFunction)((activation, _) =>
        {
            kept[layer] = activation.detach().clone().DetachFromDisposeScope();
            return null;
        })));

    public void Dispose()
    {
        Free(_residuals);
        _residuals = null;
    }

    private static void Free(Tensor[][]? residuals)
    {
        foreach (var tensor in residuals?.Where(r => r is not null).SelectMany(r => r).Where(t => t is not null) ?? []) tensor.Dispose();
    }
}
