using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Evaluation;

/// <summary>A token and its score in a logit lens.</summary>
public sealed record LensToken(int Id, string Text, double Score);

/// <summary>
/// One component of a vector: its norm, its mean per-position norm relative to the model's mean residual norm at its
/// hook point, and a logit lens, the tokens whose unembedding W_U·v is highest and lowest.
/// </summary>
public sealed record ComponentReport(string HookPoint, PositionMode Mode, int Positions, double Norm, double? RelativeNorm,
    IReadOnlyList<LensToken> Top, IReadOnlyList<LensToken> Bottom);

/// <param name="Cosines">Cosine similarity between the components' vectors (summed over positions), in component order.</param>
/// <param name="Compared">Per hook point both files have, the cosine similarity between them (with <c>--compare</c>).</param>
public sealed record VectorReport(IReadOnlyList<ComponentReport> Components, double[][] Cosines, IReadOnlyDictionary<string, double> Compared);

/// <summary>
/// What a steering vector looks like (<c>steer vector inspect</c>). Relative norms and the logit lens need the model:
/// the mean residual norm at a hook point is measured on <see cref="ReferenceText"/> (BOS excluded, as it is an
/// outlier), and the lens multiplies the vector by the unembedding without the final norm.
/// </summary>
public static class VectorAnalysis
{
    /// <summary>The text residual norms are measured on: ordinary prose of a few dozen tokens.</summary>
    public const string ReferenceText = "I went up to my friend and said that the weather had been lovely all week, and we should go for a walk by the river.";

    public static VectorReport Analyze(SteeringVector vector, LanguageModel? model = null, SteeringVector? compare = null, int lensSize = 10)
    {
        var components = vector.Components;
        var residNorms = model is null ? null : MeanResidualNorms(model, components.Select(c => c.HookPoint).Distinct().ToList());
        var reports = components.Select(c => new ComponentReport(c.HookPoint, c.Mode, c.Positions, Flat(c).Norm,
            residNorms is null ? null : c.PositionNorms().Average() / residNorms[model!.Hooks.Resolve(c.HookPoint)],
            model is null ? [] : Lens(model, c, lensSize, highest: true),
            model is null ? [] : Lens(model, c, lensSize, highest: false))).ToList();
        var cosines = components.Select(a => components.Select(b => Cosine(Flat(a).Sum, Flat(b).Sum)).ToArray()).ToArray();
        var compared = new Dictionary<string, double>();
        if (compare is not null)
            foreach (var c in components)
                if (compare.Components.FirstOrDefault(o => o.HookPoint == c.HookPoint && o.ModelDim == c.ModelDim) is { } other)
                    compared[c.HookPoint] = Cosine(Flat(c).Sum, Flat(other).Sum);
        return new VectorReport(reports, cosines, compared);
    }

    /// <summary>The component's rows summed (the direction it pushes in, over its positions) and the norm of all its values.</summary>
    private static (double[] Sum, double Norm) Flat(SteeringComponent c)
    {
        var sum = new double[c.ModelDim];
        for (var p = 0; p < c.Positions; p++)
            for (var j = 0; j < c.ModelDim; j++) sum[j] += c.Values[p * c.ModelDim + j];
        return (sum, c.Norm());
    }

    private static double Cosine(double[] a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>Mean over the reference text's positions (BOS excluded) of the residual norm at each hook point.</summary>
    private static IReadOnlyDictionary<string, double> MeanResidualNorms(LanguageModel model, IReadOnlyList<string> hookPoints)
    {
        var ids = model.Tokenizer is Tokenization.MissingTokenizer
            ? Enumerable.Range(1, 24).Select(i => i * 7 % model.Shape.VocabSize).ToList()
            : model.Tokenizer.Encode(ReferenceText).ToList();
        return RelativeScale.MeanResidualNorms(model, ids, hookPoints);
    }

    private static List<LensToken> Lens(LanguageModel model, SteeringComponent c, int size, bool highest)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var unembedding = model.Transformer.Unembedding.to(ScalarType.Float32);            // [vocab, d_model]
        var v = tensor(Flat(c).Sum.Select(x => (float)x).ToArray(), device: unembedding.device);
        var scores = unembedding.matmul(v);                                                 // [vocab]
        var (values, indices) = scores.topk(Math.Min(size, (int)scores.shape[0]), largest: highest);
        var ids = indices.cpu().data<long>().ToArray();
        var s = values.cpu().data<float>().ToArray();
        return ids.Select((id, i) => new LensToken((int)id, TokenText(model, (int)id), s[i])).ToList();
    }

    private static string TokenText(LanguageModel model, int id)
    {
        try
        {
            return model.Tokenizer.TokenText(id);
        }
        catch (SteerException)
        {
            return $"<{id}>";    // an id past the tokenizer's vocabulary (padded embedding rows)
        }
    }
}
