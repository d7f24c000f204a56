using Steer.Hooks;
using Steer.Steering;
using Steer.Tokenization;
using static TorchSharp.torch;

namespace Steer.Steering.Methods;

/// <summary>
/// Activation Addition ("Steering GPT-2-XL by adding an activation vector"): steering vectors from the
/// residual stream of prompts, computed on the model without any steering.
/// </summary>
public static class ActAdd
{
    /// <summary>ActAdd's injection point for a bare layer number: <c>blocks.L.hook_resid_pre</c>, checked against the model.</summary>
    public static string HookPointOf(LanguageModel model, int layer) => model.Description.HookPointOf(layer);

    /// <summary>A block number or any hook point name of the model (see <see cref="ModelDescription.HookPointOf(string)"/>).</summary>
    public static string HookPointOf(LanguageModel model, string layerOrHookPoint) => model.Description.HookPointOf(layerOrHookPoint);

    /// <summary>
    /// The steering vector of <paramref name="additions"/>: each computed on the clean model (pairs padded as the
    /// addition says, singles unpadded), then summed in order. Its metadata lists the additions with the pad token
    /// each pair actually used.
    /// </summary>
    public static SteeringVector Build(LanguageModel model, IReadOnlyList<Addition> additions)
    {
        SteeringVector? sum = null;
        foreach (var addition in additions)
        {
            var part = Compute(model, addition);
            sum = sum is null ? part : sum + part;
        }
        return sum ?? throw new SteerException(ErrorKind.InvalidArgument, "no activation additions given");
    }

    /// <summary>c·(h(plus) − h(minus)) at the residual stream before block <paramref name="layer"/>, both prompts with BOS.</summary>
    /// <param name="padId">The token that right-pads the shorter prompt; null is the model's default.</param>
    public static SteeringVector Pair(LanguageModel model, string plus, string minus, int layer, double coeff, int? padId = null) =>
        Pair(model, plus, minus, HookPointOf(model, layer), coeff, padId);

    public static SteeringVector Pair(LanguageModel model, string plus, string minus, string hookPoint, double coeff, int? padId = null) =>
        Build(model, [new Addition { Plus = plus, Minus = minus, HookPoint = hookPoint, Coeff = coeff, PadId = padId }]);

    /// <summary>A pair from token ids, used literally (include BOS yourself).</summary>
    public static SteeringVector Pair(LanguageModel model, IReadOnlyList<int> plusIds, IReadOnlyList<int> minusIds, string hookPoint, double coeff, int? padId = null) =>
        Build(model, [new Addition { PlusIds = plusIds, MinusIds = minusIds, HookPoint = hookPoint, Coeff = coeff, PadId = padId }]);

    /// <summary>c·h(prompt): one addition with nothing subtracted (it also adds c times the BOS residual).</summary>
    public static SteeringVector Single(LanguageModel model, string prompt, int layer, double coeff) =>
        Single(model, prompt, HookPointOf(model, layer), coeff);

    public static SteeringVector Single(LanguageModel model, string prompt, string hookPoint, double coeff) =>
        Build(model, [new Addition { Plus = prompt, HookPoint = hookPoint, Coeff = coeff }]);

    public static SteeringVector Single(LanguageModel model, IReadOnlyList<int> ids, string hookPoint, double coeff) =>
        Build(model, [new Addition { PlusIds = ids, HookPoint = hookPoint, Coeff = coeff }]);

    /// <summary>Right-pads the shorter of two token sequences with <paramref name="padId"/>.</summary>
    public static (int[] Plus, int[] Minus) PadToEqualLength(IReadOnlyList<int> plus, IReadOnlyList<int> minus, int padId)
    {
        var length = Math.Max(plus.Count, minus.Count);
        return (plus.Concat(Enumerable.Repeat(padId, length - plus.Count)).ToArray(),
            minus.Concat(Enumerable.Repeat(padId, length - minus.Count)).ToArray());
    }

    private static SteeringVector Compute(LanguageModel model, Addition addition)
    {
        if (addition.RecordHookPoint is not { } record)
            return addition.RescaleToHookPoint
                ? throw new SteerException(ErrorKind.InvalidArgument, "rescaling to the injection layer needs a different recording layer (--record-layer)")
                : ComputeAt(model, addition);
        // Checked before any pass runs, so that a bad name fails fast with its own message.
        record = model.Description.HookPointOf(record);
        var recorded = ComputeAt(model, addition with { HookPoint = record, RecordHookPoint = null, RescaleToHookPoint = false });
        var scale = addition.RescaleToHookPoint ? TransplantScale(recorded, ComputeAt(model, addition with { RecordHookPoint = null, RescaleToHookPoint = false })) : 1.0;
        var components = recorded.Components.Select(c =>
            new SteeringComponent(addition.HookPoint, c.Positions, c.ModelDim, c.Values.Select(v => (float)(scale * v)).ToArray()));
        var built = recorded.Metadata.Additions[0] with { HookPoint = addition.HookPoint, RecordHookPoint = record, RescaleToHookPoint = addition.RescaleToHookPoint };
        var properties = new Dictionary<string, string>();
        if (addition.RescaleToHookPoint)
            properties[$"transplant_scale.{record}->{addition.HookPoint}"] = scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return new SteeringVector(components, new SteeringMetadata { Model = model.Name, Additions = [built], Properties = properties });
    }

    /// <summary>
    /// The geometric mean over positions ≥ 1 of ‖injected‖ / ‖recorded‖ per position (BOS, position 0, is the same in
    /// both prompts of a pair, so its difference is zero at every layer). Positions where either is zero say nothing
    /// about scale and are left out.
    /// </summary>
    internal static double TransplantScale(SteeringVector recorded, SteeringVector injected)
    {
        var from = recorded.Components.Single().PositionNorms();
        var to = injected.Components.Single().PositionNorms();
        var logs = Enumerable.Range(1, Math.Max(0, Math.Min(from.Length, to.Length) - 1))
            .Where(p => from[p] > 0 && to[p] > 0).Select(p => Math.Log(to[p] / from[p])).ToList();
        return logs.Count > 0
            ? Math.Exp(logs.Average())
            : throw new SteerException(ErrorKind.InvalidArgument,
                "cannot rescale the transplanted vector: it has no position after BOS where it is non-zero at both layers (use prompts of at least one token besides BOS)");
    }

    /// <summary>The addition's vector, read and added at its <see cref="Addition.HookPoint"/>.</summary>
    private static SteeringVector ComputeAt(LanguageModel model, Addition addition)
    {
        if ((addition.Plus is null) == (addition.PlusIds is null))
            throw new SteerException(ErrorKind.InvalidArgument, "an activation addition needs exactly one of a prompt or token ids");
        if (addition.Minus is not null && addition.MinusIds is not null)
            throw new SteerException(ErrorKind.InvalidArgument, "an activation addition subtracts a prompt or token ids, not both");
        CheckCoefficient(addition.Coeff);
        var plusIds = addition.PlusIds ?? model.Tokenizer.Encode(addition.Plus!);
        var minusIds = addition.MinusIds ?? (addition.Minus is { } minus ? model.Tokenizer.Encode(minus) : null);
        if (minusIds is null)
            return Scaled(model, plusIds, addition.HookPoint, addition.Coeff, addition with { Pad = true, PadId = null });
        if (!addition.Pad)
        {
            // Each prompt at its own front positions: the sum of two singles, +c and −c.
            var add = Scaled(model, plusIds, addition.HookPoint, addition.Coeff, addition);
            var subtract = Scaled(model, minusIds, addition.HookPoint, -addition.Coeff, addition);
            return (add + subtract).WithMetadata(Metadata(model, addition with { PadId = null }));
        }
        var padId = addition.PadId ?? model.Tokenizer.PairPadId;
        model.CheckIds([padId], "pad id");
        var (paddedPlus, paddedMinus) = PadToEqualLength(plusIds, minusIds, padId);
        var hPlus = Activations(model, paddedPlus, addition.HookPoint);
        var hMinus = Activations(model, paddedMinus, addition.HookPoint);
        // Subtract first, then scale: c·(a − b) and −c·(b − a) are then bit-identical.
        var values = new float[hPlus.Length];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(addition.Coeff * (hPlus[i] - hMinus[i]));
        return new SteeringVector([new SteeringComponent(addition.HookPoint, paddedPlus.Length, model.Shape.ModelDim, values)],
            Metadata(model, addition with { PadId = padId }));
    }

    /// <summary>c·h(ids) at the hook point.</summary>
    private static SteeringVector Scaled(LanguageModel model, IReadOnlyList<int> ids, string hookPoint, double coeff, Addition provenance)
    {
        var values = Activations(model, ids, hookPoint).Select(v => (float)(coeff * v)).ToArray();
        return new SteeringVector([new SteeringComponent(hookPoint, ids.Count, model.Shape.ModelDim, values)], Metadata(model, provenance));
    }

    private static SteeringMetadata Metadata(LanguageModel model, Addition addition) => new() { Model = model.Name, Additions = [addition] };

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
