using Steer.Hooks;
using Steer.Steering;
using Steer.Steering.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Evaluation;

/// <summary>At one layer: the steering vector's and the prompt's residual norms per position, and their ratio.</summary>
public sealed record LayerNorms(int Layer, IReadOnlyList<double> SteeringNorms, IReadOnlyList<double> PromptNorms)
{
    /// <summary>‖steer_pos‖ / ‖resid_pos(prompt)‖ over the positions both have.</summary>
    public IReadOnlyList<double> Ratios => SteeringNorms.Zip(PromptNorms, (s, p) => s / p).ToList();
}

/// <summary>
/// "Steering vectors are about as big as normal activations" (the post's §5.4): per layer and position,
/// ‖steering vector‖ / ‖residual stream of the prompt‖ at <c>blocks.L.hook_resid_pre</c>, over the positions
/// both have (as the original code truncates to the shorter). With centring, each position's vector has its
/// mean over d_model subtracted first, which is what TransformerLens's centred weights give (its norms are
/// the numbers the post quotes); Hugging Face weights give larger, uncentred norms.
/// </summary>
public static class NormAnalysis
{
    /// <param name="vectorAt">The steering vector (coefficient 1, say) built at a layer.</param>
    public static IReadOnlyList<LayerNorms> Measure(LanguageModel model, IReadOnlyList<int> promptIds, Func<int, SteeringVector> vectorAt,
        bool center = false, IEnumerable<int>? layers = null)
    {
        var chosen = (layers ?? Enumerable.Range(0, model.Shape.Layers)).ToList();
        var names = chosen.Select(l => ActAdd.HookPointOf(model, l)).ToList();
        var (logits, cache) = model.RunWithCache(promptIds, names);
        using (logits)
        using (cache)
        {
            return chosen.Select((layer, i) =>
            {
                var component = vectorAt(layer)[names[i]]
                    ?? throw new SteerException(ErrorKind.InvalidArgument, $"the steering vector has nothing at {names[i]}");
                using var scope = NewDisposeScope();
                var resid = cache[names[i]].squeeze(0).to(ScalarType.Float64).cpu();           // [pos, d_model]
                var steer = tensor(component.Values, [component.Positions, component.ModelDim]).to(ScalarType.Float64);
                var positions = Math.Min(resid.shape[0], steer.shape[0]);
                return new LayerNorms(layer, Norms(steer.narrow(0, 0, positions), center), Norms(resid.narrow(0, 0, positions), center));
            }).ToList();
        }
    }

    /// <param name="rows">[pos, d_model]</param>
    private static double[] Norms(Tensor rows, bool center)
    {
        if (center) rows = rows - rows.mean([1], keepdim: true);
        return rows.norm(1).data<double>().ToArray();
    }
}
