using Steer.Hooks;
using Steer.Steering;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer;

/// <summary>
/// Turns a steering vector into hooks. A front component (ActAdd's rows) is added to prompt passes only, and a pass
/// with one position (a KV-cached decoding step, or a one-token prompt) is never steered, as in the original code.
/// A one-row component reaches every prompt position, every generated token, or both, as its mode says; with
/// <see cref="SteeringOperator.Ablate"/> its direction is projected out there instead of added.
/// </summary>
internal sealed class SteeringInjector : IDisposable
{
    // Values [positions, d_model] in the model's dtype; Unit, for ablation, the direction over the steered dimensions.
    private readonly List<(string HookPoint, PositionMode Mode, Tensor Values, Tensor? Unit)> _tensors = [];
    private readonly SteeringOptions _options;
    private readonly Func<int, bool> _steersRow;
    private readonly Func<int, int?> _replyStart;
    private readonly Tensor? _special;   // [vocab] bool: true for the tokens SkipSpecialTokens leaves alone

    /// <param name="steersRow">Which batch rows receive the vector (all when null).</param>
    /// <param name="replyStart">Where each row's assistant reply starts in its prompt, for <see cref="PositionMode.Assistant"/>.</param>
    public SteeringInjector(LanguageModel model, SteeringVector vector, SteeringOptions options, Func<int, bool>? steersRow = null,
        Func<int, int?>? replyStart = null)
    {
        _options = options;
        _steersRow = steersRow ?? (_ => true);
        _replyStart = replyStart ?? (_ => null);
        if (options.Positions is { } mode) vector = vector.WithMode(mode);
        Check(model, vector, options);
        if (replyStart is null && vector.Components.FirstOrDefault(c => c.Mode == PositionMode.Assistant) is { } assistant)
            throw NeedsChat(assistant.HookPoint);
        if (options.SkipSpecialTokens)
        {
            using var scope = NewDisposeScope();
            var special = new bool[model.Shape.VocabSize];
            foreach (var id in model.Tokenizer.SpecialIds.Where(id => id >= 0 && id < special.Length)) special[id] = true;
            _special = tensor(special, ScalarType.Bool).to(model.Transformer.Device).DetachFromDisposeScope();
        }
        foreach (var component in vector.Components)
        {
            // The float32 staging tensor dies with this scope; only the converted values outlive it (until Dispose).
            using var scope = NewDisposeScope();
            var values = tensor(component.Values, [component.Positions, component.ModelDim], ScalarType.Float32)
                .to(model.Transformer.DType, model.Transformer.Device).DetachFromDisposeScope();
            Tensor? unit = null;
            if (options.Operator == SteeringOperator.Ablate)
            {
                var (start, length) = options.Dimensions is { } d ? (d.Start, d.End - d.Start) : (0, component.ModelDim);
                var row = values[0].narrow(0, start, length);                                   // [dims]
                unit = (row / row.norm()).DetachFromDisposeScope();
            }
            _tensors.Add((component.HookPoint, component.Mode, values, unit));
        }
    }

    /// <summary>Throws what the constructor would for a vector or options this model cannot take, without allocating anything.</summary>
    public static void Check(LanguageModel model, SteeringVector vector, SteeringOptions options)
    {
        if (options.SkipSpecialTokens) _ = model.Tokenizer.SpecialIds;   // a model without a tokenizer says why it cannot
        if (options.Dimensions is { } dims && (dims.Start < 0 || dims.End > model.Shape.ModelDim || dims.Start >= dims.End))
            throw new SteerException(ErrorKind.InvalidArgument,
                $"residual dimensions [{dims.Start}, {dims.End}) are not a non-empty range within [0, {model.Shape.ModelDim})");
        if (options.Positions is { } mode) vector = vector.WithMode(mode);
        foreach (var component in vector.Components)
        {
            if (options.Operator == SteeringOperator.Ablate)
            {
                if (component.Positions != 1)
                    throw new SteerException(ErrorKind.InvalidArgument,
                        $"ablation removes one direction, but the vector at {component.HookPoint} has {component.Positions} rows (an ActAdd vector)");
                if (component.Mode == PositionMode.Front)
                    throw new SteerException(ErrorKind.InvalidArgument,
                        $"ablation applies at every position it reaches; give the vector at {component.HookPoint} positions prompt, generated, all or assistant");
                if (component.Norm() == 0)
                    throw new SteerException(ErrorKind.InvalidArgument, $"the vector at {component.HookPoint} is zero, so it has no direction to ablate");
            }
            try
            {
                model.Hooks.Resolve(component.HookPoint);
                if (component.ModelDim != model.Shape.ModelDim)
                    throw new SteerException(ErrorKind.InvalidArgument,
                        $"the steering vector is {component.ModelDim} wide at {component.HookPoint} but the model's d_model is {model.Shape.ModelDim}");
            }
            catch (SteerException e) when (MadeForAnother(model, vector) is { } madeFor)
            {
                throw new SteerException(e.Kind, $"{madeFor}: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// "the steering vector was made for gpt2-medium, but the model is gpt2" when the vector's metadata names another
    /// model: a hook point or width that does not fit is then a mix-up of files, not a wrong layer.
    /// </summary>
    private static string? MadeForAnother(LanguageModel model, SteeringVector vector) =>
        vector.Metadata.Model is { Length: > 0 } madeFor && madeFor != model.Name
            ? $"the steering vector was made for {madeFor}, but the model is {model.Name}"
            : null;

    public IEnumerable<(string Name, HookFunction Hook)> Hooks =>
        _tensors.Select(t => (t.HookPoint, (HookFunction)((resid, context) =>
            t.Mode == PositionMode.Front ? AddAtFront(resid, context, t.Values) : ApplyAtEveryPosition(resid, context, t.Mode, t.Values, t.Unit))));

    /// <summary>A one-row component at every real position its mode reaches, in each steered row.</summary>
    private Tensor? ApplyAtEveryPosition(Tensor resid, HookContext context, PositionMode mode, Tensor values, Tensor? unit)   // resid [batch, pos, d_model]
    {
        var decoding = context.IsDecodingStep;
        if (mode == PositionMode.Prompt && decoding || mode == PositionMode.Generated && !decoding) return null;
        var positions = resid.shape[1];
        var (dimStart, dimLength) = _options.Dimensions is { } d ? (d.Start, d.End - d.Start) : (0, (int)values.shape[1]);
        using var row0 = values[0].narrow(0, dimStart, dimLength);                              // [dims]
        using var keep = KeptPositions(context);                                                // [batch, pos, 1] or null
        for (var row = 0; row < resid.shape[0]; row++)
        {
            if (!_steersRow(row)) continue;
            // A decoding step's one position is a real token; in a prompt pass the row's padding is left alone.
            var start = decoding ? 0 : context.PadLengths.Count > row ? context.PadLengths[row] : 0;
            // The assistant's reply: in the prompt pass from its header on; every decoding step is part of it.
            if (mode == PositionMode.Assistant && !decoding) start += _replyStart(row) ?? throw NeedsChat(context.Name);
            if (start >= positions) continue;
            var slice = resid[row].narrow(0, start, positions - start).narrow(1, dimStart, dimLength); // [real positions, dims]
            using var rowKeep = keep?[row].narrow(0, start, positions - start);                  // [real positions, 1]
            if (unit is null) slice.add_(rowKeep is null ? row0 : row0 * rowKeep);
            else
            {
                var projection = slice.matmul(unit).unsqueeze(1) * unit;                        // (x·u)u
                slice.sub_(rowKeep is null ? projection : projection * rowKeep);                 // x − (x·u)u
            }
        }
        return null;
    }

    /// <summary>With <see cref="SteeringOptions.SkipSpecialTokens"/>, 1 where the pass's token is not special and 0 where it is.</summary>
    private Tensor? KeptPositions(HookContext context)   // [batch, pos, 1] in the residual's dtype
    {
        if (_special is null) return null;
        var tokens = context.Tokens ?? throw new SteerException(ErrorKind.InvalidArgument,
            "special tokens can only be skipped in a pass that starts from token ids, not from a given residual stream");
        using var special = _special.index([tokens]);                                         // [batch, pos] bool
        return special.logical_not().unsqueeze(-1).to(_tensors[0].Values.dtype);
    }

    internal static SteerException NeedsChat(string hookPoint) => new(ErrorKind.InvalidArgument,
        $"positions 'assistant' steers the assistant's reply in a chat, but the vector at {hookPoint} is applied to a prompt that is " +
        "not a chat (use --chat, steer chat or /v1/chat/completions)");

    private Tensor? AddAtFront(Tensor resid, HookContext context, Tensor values)   // resid [batch, pos, d_model]
    {
        var positions = resid.shape[1];
        if (context.IsDecodingStep || positions == 1) return null;
        var n = values.shape[0];
        using var keep = KeptPositions(context);                                                // [batch, pos, 1] or null
        var (dimStart, dimLength) = _options.Dimensions is { } d ? (d.Start, d.End - d.Start) : (0, (int)values.shape[1]);
        for (var row = 0; row < resid.shape[0]; row++)
        {
            if (!_steersRow(row)) continue;
            var start = context.PadLengths.Count > row ? context.PadLengths[row] : 0;
            var length = positions - start;                        // the row's real tokens
            var count = Math.Min(n, length);                       // shorter only under ShortPromptPolicy.Truncate
            var offset = _options.Location switch
            {
                InjectionLocation.Front => 0,
                InjectionLocation.Mid => length / 2 - count / 2,
                _ => length - count,
            };
            var added = values.narrow(0, 0, count).narrow(1, dimStart, dimLength);           // [count, dims]
            using var rowKeep = keep?[row].narrow(0, start + offset, count);                      // [count, 1]
            resid[row].narrow(0, start + offset, count).narrow(1, dimStart, dimLength).add_(rowKeep is null ? added : added * rowKeep);
        }
        return null;
    }

    public void Dispose()
    {
        _special?.Dispose();
        foreach (var (_, _, values, unit) in _tensors)
        {
            values.Dispose();
            unit?.Dispose();
        }
    }
}
