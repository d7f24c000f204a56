using Steer.Hooks;
using Steer.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Gpt2;

/// <summary>
/// GPT-2 as Hugging Face's <c>GPT2LMHeadModel</c> computes it: learned positions, pre-LN blocks, a final
/// LayerNorm and an unembedding tied to <c>wte</c>. Parameter names are the checkpoint's (without the
/// <c>transformer.</c> prefix); parameters are allocated uninitialised and filled by the loader.
/// </summary>
internal sealed class Gpt2Transformer : nn.Module, ITransformer
{
    [ComponentName(Name = "wte")] private readonly Embedding _wte;
    [ComponentName(Name = "wpe")] private readonly Embedding _wpe;
    [ComponentName(Name = "h")] private readonly ModuleList<Gpt2Block> _blocks;
    [ComponentName(Name = "ln_f")] private readonly LayerNorm _lnF;
    private readonly HookPoint _embed, _posEmbed, _lnFinal;
    private readonly UnembeddingProduct _logits = new();

    public Gpt2Transformer(Gpt2Config config, ScalarType dtype, Device device) : base("gpt2")
    {
        Config = config;
        DType = dtype;
        Device = device;
        var (names, aliases) = Gpt2HookPoints.For(config);
        Hooks = new HookRegistry(names, aliases);
        _embed = Hooks.Point(HookNames.Embed);
        _posEmbed = Hooks.Point(HookNames.PosEmbed);
        _lnFinal = Hooks.Point(HookNames.LnFinalNormalized);
        _wte = new Embedding("wte", config.VocabSize, config.ModelDim, dtype, device);
        _wpe = new Embedding("wpe", config.ContextLength, config.ModelDim, dtype, device);
        _blocks = new ModuleList<Gpt2Block>(Enumerable.Range(0, config.Layers)
            .Select(layer => new Gpt2Block(layer, config, Hooks, dtype, device))
            .ToArray());
        _lnF = new LayerNorm("ln_f", config.ModelDim, config.LayerNormEpsilon, dtype, device);
        RegisterComponents();
    }

    public Gpt2Config Config { get; }
    public ModelShape Shape => Config.Shape;
    public ScalarType DType { get; }
    public Device Device { get; }
    public HookRegistry Hooks { get; }
    public IReadOnlyList<int> EosTokenIds => [Config.EosTokenId];

    public IEnumerable<(string Name, Tensor Tensor)> Weights() =>
        named_parameters().Select(p => (p.name, (Tensor)p.parameter));

    public Tensor Unembedding => _wte.Weight;

    public long QuantizeUnembedding() => _logits.Quantize(_wte.Weight);

    public KvCache CreateCache(long batch, long capacity) =>
        new(Config.Layers, batch, Config.Heads, capacity, Config.HeadDim, DType, Device);

    /// <returns>logits [batch, pos, vocab] (pos = 1 with LastPositionOnly), in float32</returns>
    public Tensor Forward(ForwardInput input) => Run(input, 0, null, null)!;

    /// <returns>logits [batch, pos, vocab], in float32</returns>
    public Tensor ForwardFrom(ForwardInput input, int layer, Tensor residPre)
    {
        if (input.Cache is not null) throw new InvalidOperationException("a pass that starts at a block cannot extend a KV cache");
        if (layer < 0 || layer > Config.Layers) throw new ArgumentOutOfRangeException(nameof(layer));
        return Run(input, layer, residPre, null)!;
    }

    public void RunUntil(ForwardInput input, HookPoint last)
    {
        if (input.Cache is not null) throw new InvalidOperationException("a pass that stops early cannot extend a KV cache");
        Run(input, 0, null, last);
    }

    /// <param name="residPre">The input of block <paramref name="firstLayer"/>, [batch, pos, d_model], or null to embed the ids.</param>
    /// <param name="last">Stop once this hook point has fired, at block granularity; null runs to the logits.</param>
    /// <returns>logits, or null when the pass stopped early</returns>
    private Tensor? Run(ForwardInput input, int firstLayer, Tensor? residPre, HookPoint? last)
    {
        var ids = input.Ids;                                   // [batch, pos]
        var positions = ids.size(1);
        var past = input.Cache?.Length ?? 0;
        if (past + positions > Config.ContextLength)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"the sequence has {past + positions} tokens but the model's context is {Config.ContextLength}");
        var context = new HookContextFactory(past, input.PadLengths, isDecodingStep: past > 0 && positions == 1, tokens: residPre is null ? ids : null);

        // A given residual stream is copied: the blocks' hooks may edit it in place, and the caller keeps it.
        var x = residPre?.to(DType, Device, copy: true) ?? Embed(ids, input.PadLengths, past, context);   // [batch, pos, d_model]
        if (last is not null && last.Layer is null && last != _lnFinal) return null;  // an embedding hook
        // The block holding the last hook point wanted; when that is the block's input, no part of it needs to run.
        var stopLayer = last?.Layer ?? Config.Layers;
        var mask = AttentionMask.Build(positions, past, input.PadLengths, Device);
        var stream = new ResidualStream(x);
        for (var layer = firstLayer; layer < Config.Layers; layer++)
        {
            var block = _blocks[layer];
            if (layer == stopLayer && last == block.ResidPre)
            {
                block.ResidPre.Apply(stream.Current, context);
                return null;
            }
            stream.Step(current => block.Forward(current, mask, input.Cache, context));
            if (layer == stopLayer) return null;
        }
        x = stream.Current;
        input.Cache?.Advance(positions);

        var normalized = _lnFinal.Apply(_lnF.Normalize(x), context);
        if (last == _lnFinal) return null;
        if (input.LastPositionOnly) normalized = normalized.narrow(1, positions - 1, 1);
        var final = _lnF.Affine(normalized);                                    // [batch, pos', d_model]
        var rows = final.reshape(-1, Config.ModelDim);                          // [batch·pos', d_model]
        var logits = _logits.Multiply(rows, _wte.Weight).view(final.size(0), final.size(1), -1);   // [batch, pos', vocab]
        return logits.dtype == ScalarType.Float32 ? logits : logits.to(ScalarType.Float32);
    }

    /// <returns>token plus position embeddings, [batch, pos, d_model]</returns>
    private Tensor Embed(Tensor ids, int[] padLengths, long past, HookContextFactory context)
    {
        var embed = _embed.Apply(_wte.Lookup(ids), context);   // [batch, pos, d_model]
        var positionEmbeddings = PositionEmbeddings(ids.size(1), past, padLengths);
        // Unpadded passes read a view of wpe; a hook that edits in place must not reach the weights.
        var posEmbed = _posEmbed.Apply(_posEmbed.IsActive ? positionEmbeddings.clone() : positionEmbeddings, context);
        using var profiled = OperationProfiler.Time(ProfiledOperation.Embedding);
        return embed + posEmbed;
    }

    /// <returns>[1 or batch, pos, d_model]</returns>
    private Tensor PositionEmbeddings(long positions, long past, int[] padLengths)
    {
        if (padLengths.All(p => p == 0))
            return _wpe.Weight.narrow(0, past, positions).unsqueeze(0);
        return _wpe.Lookup(ResidualStream.PositionIds(positions, past, padLengths, Device));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _logits.Dispose();
        base.Dispose(disposing);
    }
}
