using System.Globalization;
using static TorchSharp.torch;

namespace Steer.Steering.Methods;

/// <summary>
/// Scales each component of a vector so that its mean per-position norm is a given multiple of the residual stream's
/// mean norm at its hook point, measured on the prompt being steered (BOS excluded, as it is an outlier): residual
/// norms differ by orders of magnitude across layers, so one absolute coefficient means different things at each.
/// </summary>
public static class RelativeScale
{
    /// <summary>The mean over <paramref name="ids"/>' positions of the residual norm at each hook point (by canonical name), BOS left out.</summary>
    public static IReadOnlyDictionary<string, double> MeanResidualNorms(LanguageModel model, IReadOnlyList<int> ids, IEnumerable<string> hookPoints)
    {
        var hooks = hookPoints.Select(model.Hooks.Resolve).Distinct().ToList();
        var skip = model.Tokenizer.BosId is { } bos && ids[0] == bos && ids.Count > 1 ? 1 : 0;
        using var cache = model.ReadActivations(ids, hooks);
        return hooks.ToDictionary(h => h, h =>
        {
            using var scope = NewDisposeScope();
            var resid = cache[h][0].to(ScalarType.Float64);                                  // [pos, d_model]
            return resid.narrow(0, skip, resid.shape[0] - skip).norm(1).mean().item<double>();
        });
    }

    /// <returns>the scaled vector, and the absolute coefficient each hook point's component was multiplied by</returns>
    public static (SteeringVector Vector, IReadOnlyDictionary<string, double> Coefficients) Apply(
        LanguageModel model, SteeringVector vector, IReadOnlyList<int> promptIds, double ratio)
    {
        if (!double.IsFinite(ratio) || ratio == 0)
            throw new SteerException(ErrorKind.InvalidArgument, $"a relative coefficient must be a nonzero finite number, got {ratio}");
        if (promptIds.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "a relative coefficient needs a prompt to measure");
        var residNorms = MeanResidualNorms(model, promptIds, vector.Components.Select(c => c.HookPoint));
        var coefficients = new Dictionary<string, double>();
        var scaled = vector.Components.Select(c =>
        {
            var norm = c.PositionNorms().Average();
            if (norm == 0) throw new SteerException(ErrorKind.InvalidArgument, $"the vector at {c.HookPoint} is zero, so it cannot be scaled to a relative norm");
            var factor = ratio * residNorms[model.Hooks.Resolve(c.HookPoint)] / norm;
            coefficients[c.HookPoint] = factor;
            return c with { Values = c.Values.Select(v => (float)(v * factor)).ToArray() };
        }).ToList();
        var properties = new Dictionary<string, string>(vector.Metadata.Properties)
        {
            ["coeff_relative"] = ratio.ToString("R", CultureInfo.InvariantCulture),
        };
        return (new SteeringVector(scaled, vector.Metadata with { Properties = properties }), coefficients);
    }
}
