using Steer.Hooks;
using Steer.Steering;
using TorchSharp;
using static TorchSharp.torch;

namespace Steer;

/// <summary>
/// Turns a steering vector into hooks that add it to prompt passes only. A pass with one position (a
/// KV-cached decoding step, or a one-token prompt) is never steered, as in the original code.
/// </summary>
internal sealed class SteeringInjector : IDisposable
{
    private readonly List<(string HookPoint, Tensor Values)> _tensors = []; // [positions, d_model] in the model's dtype
    private readonly SteeringOptions _options;
    private readonly Func<int, bool> _steersRow;

    /// <param name="steersRow">Which batch rows receive the vector (all when null).</param>
    public SteeringInjector(LanguageModel model, SteeringVector vector, SteeringOptions options, Func<int, bool>? steersRow = null)
    {
        _options = options;
        _steersRow = steersRow ?? (_ => true);
        Check(model, vector, options);
        foreach (var component in vector.Components)
        {
            // The float32 staging tensor dies with this scope; only the converted values outlive it (until Dispose).
            using var scope = NewDisposeScope();
            var values = tensor(component.Values, [component.Positions, component.ModelDim], ScalarType.Float32)
                .to(model.Transformer.DType, model.Transformer.Device).DetachFromDisposeScope();
            _tensors.Add((component.HookPoint, values));
        }
    }

    /// <summary>Throws what the constructor would for a vector or options this model cannot take, without allocating anything.</summary>
    public static void Check(LanguageModel model, SteeringVector vector, SteeringOptions options)
    {
        if (options.Dimensions is { } dims && (dims.Start < 0 || dims.End > model.Shape.ModelDim || dims.Start >= dims.End))
            throw new SteerException(ErrorKind.InvalidArgument,
                $"residual dimensions [{dims.Start}, {dims.End}) are not a non-empty range within [0, {model.Shape.ModelDim})");
        foreach (var component in vector.Components)
        {
            model.Hooks.Resolve(component.HookPoint);
            if (component.ModelDim != model.Shape.ModelDim)
                throw new SteerException(ErrorKind.InvalidArgument,
                    $"the steering vector is {component.ModelDim} wide at {component.HookPoint} but the model's d_model is {model.Shape.ModelDim}");
        }
    }

    public IEnumerable<(string Name, HookFunction Hook)> Hooks =>
        _tensors.Select(t => (t.HookPoint, (HookFunction)((resid, context) => Add(resid, context, t.Values))));

    private Tensor? Add(Tensor resid, HookContext context, Tensor values)   // resid [batch, pos, d_model]
    {
        var positions = resid.shape[1];
        if (context.IsDecodingStep || positions == 1) return null;
        var n = values.shape[0];
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
            resid[row].narrow(0, start + offset, count).narrow(1, dimStart, dimLength)
                .add_(values.narrow(0, 0, count).narrow(1, dimStart, dimLength));
        }
        return null;
    }

    public void Dispose()
    {
        foreach (var (_, values) in _tensors) values.Dispose();
    }
}
