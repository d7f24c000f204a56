using Steer.Hooks;
using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Steer.Models.Llama;

/// <summary>One pre-RMSNorm decoder layer (Hugging Face's LlamaDecoderLayer), with TransformerLens's hook points.</summary>
internal sealed class LlamaBlock : nn.Module
{
    [ComponentName(Name = "input_layernorm")] private readonly RmsNorm _inputNorm;
    [ComponentName(Name = "self_attn")] private readonly LlamaAttention _attention;
    [ComponentName(Name = "post_attention_layernorm")] private readonly RmsNorm _postAttentionNorm;
    [ComponentName(Name = "mlp")] private readonly LlamaMlp _mlp;
    private readonly HookPoint _ln1Normalized, _attnOut, _residMid, _ln2Normalized, _mlpOut, _residPost;

    public LlamaBlock(int layer, LlamaConfig config, HookRegistry hooks, ScalarType dtype, Device device) : base(layer.ToString())
    {
        _inputNorm = new RmsNorm("input_layernorm", config.ModelDim, config.RmsNormEps, dtype, device);
        _attention = new LlamaAttention(layer, config, hooks, dtype, device);
        _postAttentionNorm = new RmsNorm("post_attention_layernorm", config.ModelDim, config.RmsNormEps, dtype, device);
        _mlp = new LlamaMlp(layer, config, hooks, dtype, device);
        Window = config.WindowOf(layer);
        ResidPre = hooks.Point(HookNames.ResidPre(layer));
        _ln1Normalized = hooks.Point(HookNames.Ln1Normalized(layer));
        _attnOut = hooks.Point(HookNames.AttnOut(layer));
        _residMid = hooks.Point(HookNames.ResidMid(layer));
        _ln2Normalized = hooks.Point(HookNames.Ln2Normalized(layer));
        _mlpOut = hooks.Point(HookNames.MlpOut(layer));
        _residPost = hooks.Point(HookNames.ResidPost(layer));
        RegisterComponents();
    }

    /// <summary>The block's input; the transformer fires it alone when a pass stops there.</summary>
    public HookPoint ResidPre { get; }

    /// <summary>This layer's sliding window, or null for full causal attention.</summary>
    public int? Window { get; }

    /// <param name="input">[batch, pos, d_model]</param>
    /// <returns>resid_post, [batch, pos, d_model]</returns>
    public Tensor Forward(Tensor input, Tensor cos, Tensor sin, AttentionMask mask, KvCache? cache, HookContextFactory context)
    {
        var residPre = ResidPre.Apply(input, context);
        var attnIn = Normalize(_inputNorm, _ln1Normalized, residPre, context);
        var attnOut = _attnOut.Apply(_attention.Forward(attnIn, cos, sin, mask, cache, context), context);
        var residMid = _residMid.Apply(ResidualStream.Add(residPre, attnOut), context);
        var mlpIn = Normalize(_postAttentionNorm, _ln2Normalized, residMid, context);
        var mlpOut = _mlpOut.Apply(_mlp.Forward(mlpIn, context), context);
        return _residPost.Apply(ResidualStream.Add(residMid, mlpOut), context);
    }

    /// <summary>RMSNorm with its hook_normalized between normalising and the weight.</summary>
    private static Tensor Normalize(RmsNorm norm, HookPoint normalized, Tensor x, HookContextFactory context) =>
        normalized.IsActive ? norm.Scale(normalized.Apply(norm.Normalize(x), context)) : norm.Forward(x);
}
