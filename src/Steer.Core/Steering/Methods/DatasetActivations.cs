using Steer.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Steering.Methods;

/// <summary>Which token of a text stands for it.</summary>
public enum TokenReduction
{
    /// <summary>The text's last token (CAA: the answer).</summary>
    Last,
    /// <summary>The mean over the text's tokens, BOS excluded (its activations are outliers in GPT-2-like models).</summary>
    Mean,
}

/// <summary>
/// Reads one activation row per text at several hook points, in batched forward passes that stop at the last hook
/// point needed. Rows come back in the order of the texts, float32 <c>[texts, d_model]</c> per hook point.
/// </summary>
internal static class DatasetActivations
{
    /// <param name="texts">Token ids of each text, BOS included where the tokenizer adds one.</param>
    /// <param name="skipFirst">Leave each text's first token (its BOS) out of a mean.</param>
    /// <param name="progress">Texts read so far.</param>
    public static Dictionary<string, float[]> Read(LanguageModel model, IReadOnlyList<IReadOnlyList<int>> texts, IReadOnlyList<string> hookPoints,
        TokenReduction reduction, bool skipFirst, int batchSize, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var d = model.Shape.ModelDim;
        var points = hookPoints.Select(model.Hooks.Resolve).Distinct().ToList();
        var last = points.Select(p => model.Hooks.Point(p)).MaxBy(p => p.Index)
            ?? throw new SteerException(ErrorKind.InvalidArgument, "no hook points to read");
        var rows = points.ToDictionary(p => p, _ => new float[texts.Count * d]);
        // Texts of similar length share a batch, so that little of each pass is padding.
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => texts[i].Count).ToArray();
        var done = 0;
        for (var start = 0; start < order.Length; start += batchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var batch = order.Skip(start).Take(batchSize).ToArray();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = model.Input(batch.Select(i => texts[i]).ToList());
            var hooks = points.Select(point => (point, (HookFunction)((activation, context) =>
            {
                Collect(activation, context.PadLengths, batch, rows[point], d, reduction, skipFirst);
                return null;
            }))).ToList();
            using (model.Hooks.AddRange(hooks)) model.Transformer.RunUntil(input, last);
            done += batch.Length;
            progress?.Report(done);
        }
        return rows;
    }

    /// <param name="activation">[batch, pos, d_model], rows left-padded by <paramref name="pads"/></param>
    private static void Collect(Tensor activation, IReadOnlyList<int> pads, int[] batch, float[] into, int d, TokenReduction reduction, bool skipFirst)
    {
        var positions = activation.shape[1];
        for (var b = 0; b < batch.Length; b++)
        {
            var pad = pads.Count > b ? pads[b] : 0;
            Tensor row;                                                                    // [d_model]
            if (reduction == TokenReduction.Last) row = activation[b, positions - 1];
            else
            {
                var first = pad + (skipFirst && positions - pad > 1 ? 1 : 0);
                row = activation[b].narrow(0, first, positions - first).to(ScalarType.Float32).mean([0]);
            }
            var values = row.to(ScalarType.Float32).cpu().data<float>().ToArray();
            Array.Copy(values, 0, into, (long)batch[b] * d, d);
        }
    }
}
