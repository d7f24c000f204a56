using Steer.Hooks;
using Steer.Models;
using Steer.Tokenization;

namespace Steer;

/// <summary>
/// What can be known about a loaded model without touching its tensors: its name, shape, tokenizer and hook point
/// names. Immutable, so any thread may read it while another runs the model (the server's endpoints check requests
/// with it; only its inference worker holds the <see cref="LanguageModel"/>).
/// </summary>
public sealed class ModelDescription
{
    private readonly HookRegistry _hooks;

    internal ModelDescription(string name, ModelShape shape, ITokenizer tokenizer, IReadOnlyList<int> stopIds, HookRegistry hooks)
    {
        Name = name;
        Shape = shape;
        Tokenizer = tokenizer;
        StopIds = stopIds;
        _hooks = hooks;
    }

    /// <summary>A Hugging Face id or the local directory the model came from.</summary>
    public string Name { get; }

    public ModelShape Shape { get; }

    public ITokenizer Tokenizer { get; }

    /// <summary>The id that ends a completion: config.json's (first) <c>eos_token_id</c>, else the tokenizer's EOS.</summary>
    public int StopId => StopIds[0];

    /// <summary>Every id that ends a completion (config.json's <c>eos_token_id</c> may list several).</summary>
    public IReadOnlyList<int> StopIds { get; }

    /// <summary>Every hook point's canonical name, in forward order; aliases are accepted by <see cref="ResolveHookPoint"/>.</summary>
    public IReadOnlyList<string> HookPoints => _hooks.Names;

    /// <summary>The canonical name of a hook point or alias; a clear error for an unknown name.</summary>
    public string ResolveHookPoint(string name) => _hooks.Resolve(name);

    /// <summary>ActAdd's injection point for a bare layer number: <c>blocks.L.hook_resid_pre</c>, checked against the model.</summary>
    public string HookPointOf(int layer) =>
        layer >= 0 && layer < Shape.Layers ? HookNames.ResidPre(layer)
            : throw new SteerException(ErrorKind.InvalidArgument,
                $"layer {layer} is out of range: this model has {Shape.Layers} layers, so valid layers are 0..{Shape.Layers - 1}");

    /// <summary>A block number (as <see cref="HookPointOf(int)"/>) or any hook point name of the model.</summary>
    public string HookPointOf(string layerOrHookPoint) =>
        int.TryParse(layerOrHookPoint, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var layer)
            ? HookPointOf(layer)
            : ResolveHookPoint(layerOrHookPoint);
}
