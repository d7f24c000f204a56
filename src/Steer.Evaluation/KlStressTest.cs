using Steer.Steering;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer.Evaluation;

/// <summary>
/// The post's stress test of "is the effect directional, or would any vector this large do it?" (§4.3): for each prompt
/// (with BOS), the next-token distributions at positions ≥ <c>fromPosition</c> of an unsteered, a steered and a control
/// run; per prompt the mean over those positions of KL(unsteered‖run) = Σ p_n (log p_n − log p_run), divided by the mean
/// entropy of the unsteered distributions. Everything is computed in float64 from a log-softmax of the logits.
/// </summary>
public static class KlStressTest
{
    /// <summary>The post's: positions 0–2 (BOS and the first tokens) are left out, where the injected rows sit.</summary>
    public const int DefaultFromPosition = 3;

    /// <param name="control">
    /// The vector the steering is compared with, applied with the same <paramref name="options"/>, e.g.
    /// <see cref="Steering.Methods.RandomControl.RandomLike"/> of <paramref name="steering"/>.
    /// </param>
    /// <param name="firstIndex">The index of <paramref name="prompts"/>[0] in the whole list (a shard's first prompt).</param>
    public static KlStressResult Measure(LanguageModel model, IReadOnlyList<string> prompts, SteeringVector steering, SteeringVector control,
        SteeringOptions? options = null, int fromPosition = DefaultFromPosition, int firstIndex = 0)
    {
        options ??= new SteeringOptions();
        if (fromPosition < 0)
            throw new SteerException(ErrorKind.InvalidArgument, $"the first measured position must not be negative, got {fromPosition}");
        using var scope = NewDisposeScope();
        // Registering each vector checks its hook points and width against the model before any pass runs.
        using (model.AddSteering(steering, options)) { }
        try
        {
            using (model.AddSteering(control, options)) { }
        }
        catch (SteerException e)
        {
            throw new SteerException(e.Kind, $"the control vector does not fit: {e.Message}", e);
        }
        var rows = new List<KlStressRow>();
        var skipped = new List<KlStressSkip>();
        for (var i = 0; i < prompts.Count; i++)
        {
            var index = firstIndex + i;
            var ids = model.Tokenizer.Encode(prompts[i]);
            var reason = ids.Count <= fromPosition
                ? $"no position >= {fromPosition}, only 0..{ids.Count - 1}"
                : TooShort(ids, steering, options, "steering") ?? TooShort(ids, control, options, "control");
            if (reason is null)
            {
                var (steered, controlled, entropy) = MeasurePrompt(model, ids, steering, control, options, fromPosition);
                if (entropy > 0)
                {
                    rows.Add(new KlStressRow(index, prompts[i], ids.Count, ids.Count - fromPosition, steered, controlled, entropy));
                    continue;
                }
                reason = "the unsteered distributions have zero entropy, so the KL cannot be normalised";
            }
            skipped.Add(new KlStressSkip(index, prompts[i], ids.Count, reason));
        }
        return new KlStressResult(rows, skipped);
    }

    /// <summary>Why <paramref name="vector"/> cannot steer the prompt under the short-prompt policy error, else null.</summary>
    private static string? TooShort(IReadOnlyList<int> ids, SteeringVector vector, SteeringOptions options, string what) =>
        options.ShortPrompt == ShortPromptPolicy.Error && ids.Count < vector.Positions
            ? $"shorter than the {what} vector's {vector.Positions} positions"
            : null;

    /// <returns>The mean KL(unsteered‖steered), KL(unsteered‖control) and H(unsteered) over positions ≥ <paramref name="from"/>.</returns>
    private static (double Steered, double Control, double Entropy) MeasurePrompt(LanguageModel model, IReadOnlyList<int> ids,
        SteeringVector steering, SteeringVector control, SteeringOptions options, int from)
    {
        using var scope = NewDisposeScope();
        var unsteered = LogProbabilities(model, ids, ids, from);                           // [positions, vocab]
        var p = unsteered.exp();
        // 0 · log 0 is 0: a token the unsteered model never predicts adds nothing, whatever the other run says.
        Tensor Weighted(Tensor logRatio) => where(p > 0, p * logRatio, zeros_like(p)).sum(-1).mean();
        double Kl(SteeringVector vector)
        {
            var prepared = model.PrepareForSteering(ids, vector, options);
            using var hooks = model.AddSteering(vector, options);
            var run = LogProbabilities(model, ids, prepared, from);
            return Weighted(unsteered - run).item<double>();
        }
        var entropy = Weighted(-unsteered).item<double>();
        return (Kl(steering), Kl(control), entropy);
    }

    /// <summary>
    /// log p(· | prefix) at the prompt's positions ≥ <paramref name="from"/>, from a pass over <paramref name="run"/>: the
    /// prompt itself, or the prompt with pads after BOS (the short-prompt pad policy), where every later position moves on.
    /// </summary>
    private static Tensor LogProbabilities(LanguageModel model, IReadOnlyList<int> prompt, IReadOnlyList<int> run, int from)
    {
        var shift = run.Count - prompt.Count;
        var positions = Enumerable.Range(from, prompt.Count - from).Select(p => p == 0 ? 0L : p + shift).ToArray();
        var logits = model.Logits(run);                                                    // [pos, vocab]
        return logits.index_select(0, tensor(positions, ScalarType.Int64, logits.device))
            .to(ScalarType.Float64).log_softmax(-1);                                        // [positions, vocab]
    }
}
