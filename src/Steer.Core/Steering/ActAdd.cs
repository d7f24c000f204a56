using Steer.Hooks;
using Steer.Tokenization;
using static TorchSharp.torch;

namespace Steer.Steering;

/// <summary>How a prompt pair is aligned before subtraction.</summary>
public sealed record PairOptions
{
    /// <summary>The token that right-pads the shorter prompt: the space (220), as the post did. 50256 is end-of-text padding.</summary>
    public int PadId { get; init; } = 220;

    /// <summary>False leaves the prompts unpadded, each added at its own front positions (the original library's default).</summary>
    public bool Pad { get; init; } = true;
}

/// <summary>
/// Activation Addition ("Steering GPT-2-XL by adding an activation vector"): steering vectors from the
/// residual stream of prompts, computed on the model without any steering.
/// </summary>
public static class ActAdd
{
    /// <summary>ActAdd's injection point for a bare layer number: <c>blocks.L.hook_resid_pre</c>, checked against the model.</summary>
    public static string HookPointOf(LanguageModel model, int layer) =>
        layer >= 0 && layer < model.Shape.Layers ? HookNames.ResidPre(layer)
            : throw new SteerException(ErrorKind.InvalidArgument,
                $"layer {layer} is out of range: this model has {model.Shape.Layers} layers, so valid layers are 0..{model.Shape.Layers - 1}");

    /// <summary>c·(h(plus) − h(minus)) at the residual stream before block <paramref name="layer"/>, both prompts with BOS.</summary>
    public static SteeringVector Pair(LanguageModel model, string plus, string minus, int layer, double coeff, PairOptions? options = null) =>
        Pair(model, plus, minus, HookPointOf(model, layer), coeff, options);

    public static SteeringVector Pair(LanguageModel model, string plus, string minus, string hookPoint, double coeff, PairOptions? options = null) =>
        Build(model, model.Tokenizer.Encode(plus), model.Tokenizer.Encode(minus), hookPoint, coeff, options ?? new PairOptions(), plus, minus);

    /// <summary>A pair from token ids, used literally (include BOS yourself).</summary>
    public static SteeringVector Pair(LanguageModel model, IReadOnlyList<int> plusIds, IReadOnlyList<int> minusIds, string hookPoint, double coeff, PairOptions? options = null) =>
        Build(model, plusIds, minusIds, hookPoint, coeff, options ?? new PairOptions(), null, null);

    /// <summary>c·h(prompt): one addition with nothing subtracted (it also adds c times the BOS residual).</summary>
    public static SteeringVector Single(LanguageModel model, string prompt, int layer, double coeff) =>
        Single(model, prompt, HookPointOf(model, layer), coeff);

    public static SteeringVector Single(LanguageModel model, string prompt, string hookPoint, double coeff) =>
        Single(model, model.Tokenizer.Encode(prompt), hookPoint, coeff, prompt);

    public static SteeringVector Single(LanguageModel model, IReadOnlyList<int> ids, string hookPoint, double coeff, string? prompt = null)
    {
        CheckCoefficient(coeff);
        var activations = Activations(model, ids, hookPoint);
        var values = activations.Select(v => (float)(coeff * v)).ToArray();
        return new SteeringVector([new SteeringComponent(hookPoint, ids.Count, model.Shape.ModelDim, values)],
            new SteeringMetadata { Model = model.Name, Additions = [new AdditionInfo(hookPoint, coeff, prompt, null, null)] });
    }

    /// <summary>
    /// The sum of several additions, each computed on the clean model and added at its own front positions
    /// (unpadded, as the original code did for lists of additions).
    /// </summary>
    public static SteeringVector Sum(LanguageModel model, IEnumerable<ActivationAddition> additions)
    {
        SteeringVector? sum = null;
        foreach (var addition in additions)
        {
            if ((addition.Prompt is null) == (addition.Tokens is null))
                throw new SteerException(ErrorKind.InvalidArgument, "an activation addition needs exactly one of a prompt or token ids");
            var part = addition.Prompt is { } prompt
                ? Single(model, prompt, addition.HookPoint, addition.Coeff)
                : Single(model, addition.Tokens!, addition.HookPoint, addition.Coeff);
            sum = sum is null ? part : sum + part;
        }
        return sum ?? throw new SteerException(ErrorKind.InvalidArgument, "no activation additions given");
    }

    /// <summary>Right-pads the shorter of two token sequences with <paramref name="padId"/>.</summary>
    public static (int[] Plus, int[] Minus) PadToEqualLength(IReadOnlyList<int> plus, IReadOnlyList<int> minus, int padId)
    {
        var length = Math.Max(plus.Count, minus.Count);
        return (plus.Concat(Enumerable.Repeat(padId, length - plus.Count)).ToArray(),
            minus.Concat(Enumerable.Repeat(padId, length - minus.Count)).ToArray());
    }

    private static SteeringVector Build(LanguageModel model, IReadOnlyList<int> plusIds, IReadOnlyList<int> minusIds,
        string hookPoint, double coeff, PairOptions options, string? plus, string? minus)
    {
        CheckCoefficient(coeff);
        var metadata = new SteeringMetadata
        {
            Model = model.Name,
            Additions = [new AdditionInfo(hookPoint, coeff, plus, minus, options.Pad ? options.PadId : null)],
        };
        if (!options.Pad)
        {
            var add = Single(model, plusIds, hookPoint, coeff);
            var subtract = Single(model, minusIds, hookPoint, -coeff);
            return (add + subtract).WithMetadata(metadata);
        }
        if (options.PadId < 0 || options.PadId >= model.Shape.VocabSize)
            throw new SteerException(ErrorKind.InvalidArgument, $"pad id {options.PadId} is outside the vocabulary [0, {model.Shape.VocabSize})");
        var (paddedPlus, paddedMinus) = PadToEqualLength(plusIds, minusIds, options.PadId);
        var hPlus = Activations(model, paddedPlus, hookPoint);
        var hMinus = Activations(model, paddedMinus, hookPoint);
        // Subtract first, then scale: c·(a − b) and −c·(b − a) are then bit-identical.
        var values = new float[hPlus.Length];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(coeff * (hPlus[i] - hMinus[i]));
        return new SteeringVector([new SteeringComponent(hookPoint, paddedPlus.Length, model.Shape.ModelDim, values)], metadata);
    }

    /// <summary>
    /// The activation at <paramref name="hookPoint"/> of a clean forward pass, [positions × d_model] as float32. The
    /// pass stops there: a vector at <c>blocks.L.hook_resid_pre</c> runs blocks 0..L−1 only.
    /// </summary>
    internal static float[] Activations(LanguageModel model, IReadOnlyList<int> ids, string hookPoint)
    {
        if (ids.Count == 0) throw new SteerException(ErrorKind.InvalidArgument, "a steering prompt has no tokens");
        using (var cache = model.ReadActivations(ids, [hookPoint]))
        using (var activation = cache[hookPoint].squeeze(0).to(ScalarType.Float32).cpu())   // [positions, d_model]
            return activation.data<float>().ToArray();
    }

    private static void CheckCoefficient(double coeff)
    {
        if (!double.IsFinite(coeff))
            throw new SteerException(ErrorKind.InvalidArgument, $"the coefficient must be a finite number, got {coeff}");
    }
}
