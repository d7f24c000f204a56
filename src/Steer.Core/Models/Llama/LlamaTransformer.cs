using Steer.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Llama;

/// <summary>The parameters under Hugging Face's <c>model.</c> prefix: embeddings, decoder layers and the final norm.</summary>
internal sealed class LlamaModel : nn.Module
{
    public LlamaModel(LlamaConfig config, HookRegistry hooks, ScalarType dtype, Device device) : base("model")
    {
        _embedTokens = new Embedding("embed_tokens", config.VocabSize, config.ModelDim, dtype, device);
        _layers = new ModuleList<LlamaBlock>(Enumerable.Range(0, config.Layers)
            .Select(layer => new LlamaBlock(layer, config, hooks, dtype, device))
            .ToArray());
        _norm = new RmsNorm("norm", config.ModelDim, config.RmsNormEps, dtype, device);
        RegisterComponents();
    }

    [ComponentName(Name = "embed_tokens")] private readonly Embedding _embedTokens;
    [ComponentName(Name = "layers")] private readonly ModuleList<LlamaBlock> _layers;
    [ComponentName(Name = "norm")] private readonly RmsNorm _norm;

    public Embedding EmbedTokens => _embedTokens;
    public ModuleList<LlamaBlock> Layers => _layers;
    public RmsNorm Norm => _norm;
}

/// <summary>
/// A Llama-family decoder as Hugging Face's <c>LlamaForCausalLM</c> (and Mistral's, Qwen2's, Qwen3's) computes it.
/// Parameter names are the checkpoint's; parameters are allocated uninitialised and filled by the loader.
/// </summary>
internal sealed class LlamaTransformer : nn.Module, ITransformer
{
    [ComponentName(Name = "model")] private readonly LlamaModel _model;
    [ComponentName(Name = "lm_head")] private readonly Linear? _lmHead;
    private readonly RotaryEmbedding _rotary;
    private readonly HookPoint _embed, _lnFinal;
    private readonly UnembeddingProduct _logits = new();

    public LlamaTransformer(LlamaConfig config, ScalarType dtype, Device device) : base("llama")
    {
        Config = config;
        DType = dtype;
        Device = device;
        var (names, aliases) = LlamaHookPoints.For(config);
        Hooks = new HookRegistry(names, aliases);
        _embed = Hooks.Point(HookNames.Embed);
        _lnFinal = Hooks.Point(HookNames.LnFinalNormalized);
        _model = new LlamaModel(config, Hooks, dtype, device);
        if (!config.TieWordEmbeddings)
            _lmHead = new Linear("lm_head", config.ModelDim, config.VocabSize, LinearLayout.OutputMajor, bias: false, dtype, device);
        _rotary = new RotaryEmbedding(config);
        RegisterComponents();
    }

    public LlamaConfig Config { get; }
    public ModelShape Shape => Config.Shape;
    public ScalarType DType { get; }
    public Device Device { get; }
    public HookRegistry Hooks { get; }
    public IReadOnlyList<int> EosTokenIds => Config.EosTokenIds;

    public IEnumerable<(string Name, Tensor Tensor)> Weights() =>
        named_parameters().Select(p => (p.name, (Tensor)p.parameter));

    public Tensor Unembedding => _lmHead?.Weight ?? _model.EmbedTokens.Weight;

    public long QuantizeUnembedding() => _logits.Quantize(Unembedding);

    public KvCache CreateCache(long batch, long capacity) =>
        new(Config.Layers, batch, Config.KvHeads, capacity, Config.HeadDim, DType, Device);

    public Tensor Forward(ForwardInput input) => Run(input, 0, null, null)!;

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
    /// <returns>float32 logits [batch, pos, vocab], or null when the pass stopped early</returns>
    private Tensor? Run(ForwardInput input, int firstLayer, Tensor? residPre, HookPoint? last)
    {
        var ids = input.Ids;                                                     // [batch, pos]
        var positions = ids.size(1);
        var past = input.Cache?.Length ?? 0;
        if (past + positions > Config.ContextLength)
            throw new SteerException(ErrorKind.InvalidArgument,
                $"the sequence has {past + positions} tokens but the model's context (max_position_embeddings) is {Config.ContextLength}");
        var context = new HookContextFactory(past, input.PadLengths, isDecodingStep: past > 0 && positions == 1, tokens: residPre is null ? ids : null);

        // A given residual stream is copied: the blocks' hooks may edit it in place, and the caller keeps it.
        var x = residPre?.to(DType, Device, copy: true)
            ?? _embed.Apply(_model.EmbedTokens.Lookup(ids), context);           // [batch, pos, d_model]
        if (last is not null && last.Layer is null && last != _lnFinal) return null;
        var stopLayer = last?.Layer ?? Config.Layers;
        var (cos, sin) = _rotary.Angles(ResidualStream.PositionIds(positions, past, input.PadLengths, Device), DType); // [b or 1, 1, pos, head_dim]
        var fullMask = AttentionMask.Build(positions, past, input.PadLengths, Device);
        var windowMasks = new Dictionary<int, AttentionMask>();
        var stream = new ResidualStream(x);
        for (var layer = firstLayer; layer < Config.Layers; layer++)
        {
            var block = _model.Layers[layer];
            if (layer == stopLayer && last == block.ResidPre)
            {
                block.ResidPre.Apply(stream.Current, context);
                return null;
            }
            var mask = block.Window is { } window
                ? windowMasks.TryGetValue(window, out var m) ? m : windowMasks[window] = AttentionMask.Build(positions, past, input.PadLengths, Device, window)
                : fullMask;
            stream.Step(current => block.Forward(current, cos, sin, mask, input.Cache, context));
            if (layer == stopLayer) return null;
        }
        x = stream.Current;
        input.Cache?.Advance(positions);

        Tensor final;                                                           // [batch, pos', d_model]
        if (_lnFinal.IsActive || last == _lnFinal)
        {
            var normalized = _lnFinal.Apply(_model.Norm.Normalize(x), context);
            if (last == _lnFinal) return null;
            if (input.LastPositionOnly) normalized = normalized.narrow(1, positions - 1, 1);
            final = _model.Norm.Scale(normalized);
        }
        else final = _model.Norm.Forward(input.LastPositionOnly ? x.narrow(1, positions - 1, 1) : x);
        var rows = final.reshape(-1, Config.ModelDim);                          // [batch·pos', d_model]
        var logits = _logits.Multiply(rows, Unembedding).view(final.size(0), final.size(1), -1);   // [batch, pos', vocab]
        return logits.dtype == ScalarType.Float32 ? logits : logits.to(ScalarType.Float32);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _logits.Dispose();
        base.Dispose(disposing);
    }
}
